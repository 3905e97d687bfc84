// List-then-watch of one host collection, kept in memory and resumed from the last seen
// resourceVersion after a dropped connection (re-listing after 410 Gone), like client-go's reflector.
import type { Logger } from '../log/logger.js';
import type { KubeObject, KubeList } from '../api/object.js';
import type { HostClient } from './host-client.js';

export type InformerEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

export class HostInformer {
  readonly items = new Map<string, KubeObject>();
  private rv = '';
  private stopped = false;
  private abort?: AbortController;
  private synced!: Promise<void>;
  private markSynced!: () => void;

  constructor(
    private readonly client: HostClient,
    private readonly collectionPath: string,
    private readonly logger: Logger,
    private readonly onEvent?: (e: InformerEvent) => void,
  ) {
    this.synced = new Promise((r) => (this.markSynced = r));
  }

  /** Starts the loop; resolves after the first full list. */
  start(): Promise<void> {
    void this.loop();
    return this.synced;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async list(): Promise<void> {
    const res = await this.client.must<KubeList>('GET', this.collectionPath);
    const seen = new Set<string>();
    for (const obj of res.body.items) {
      const name = obj.metadata?.name ?? '';
      seen.add(name);
      const had = this.items.has(name);
      this.items.set(name, obj);
      this.onEvent?.({ type: had ? 'MODIFIED' : 'ADDED', object: obj });
    }
    for (const [name, obj] of this.items) {
      if (!seen.has(name)) {
        this.items.delete(name);
        this.onEvent?.({ type: 'DELETED', object: obj });
      }
    }
    this.rv = res.body.metadata.resourceVersion ?? '';
    this.markSynced();
  }

  private async loop(): Promise<void> {
    let backoff = 200;
    while (!this.stopped) {
      try {
        if (!this.rv) await this.list();
        await this.watch();
        backoff = 200;
      } catch (err) {
        if (this.stopped) return;
        this.logger.warn({ err, path: this.collectionPath }, 'host watch interrupted; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async watch(): Promise<void> {
    this.abort = new AbortController();
    const res = await this.client.dispatcher.request({
      origin: this.client.origin,
      path: `${this.client.basePath}${this.collectionPath}?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(this.rv)}&timeoutSeconds=300`,
      method: 'GET',
      headers: this.client.headers({ accept: 'application/json' }),
      signal: this.abort.signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      if (res.statusCode === 410) this.rv = '';
      throw new Error(`watch ${this.collectionPath}: ${res.statusCode}`);
    }
    let buf = '';
    for await (const chunk of res.body) {
      buf += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.apply(JSON.parse(line) as { type: string; object: KubeObject });
      }
    }
  }

  private apply(ev: { type: string; object: KubeObject }): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'ERROR') {
      if ((ev.object as { code?: number }).code === 410) this.rv = '';
      throw new Error(`watch ${this.collectionPath}: ${(ev.object as { message?: string }).message ?? 'error event'}`);
    }
    if (rv) this.rv = rv;
    if (ev.type === 'BOOKMARK') return;
    const name = ev.object.metadata?.name ?? '';
    if (ev.type === 'DELETED') this.items.delete(name);
    else this.items.set(name, ev.object);
    this.onEvent?.({ type: ev.type as InformerEvent['type'], object: ev.object });
  }
}
