// List-then-watch of one host collection, kept in memory and resumed from the last seen
// resourceVersion after a dropped connection (re-listing after 410 Gone), like client-go's reflector.
import type { Logger } from '../log/logger.js';
import { ndjson } from '../api/ndjson.js';
import type { KubeObject, KubeList } from '../api/object.js';
import type { HostClient } from './host-client.js';

export type InformerEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

export interface InformerOptions {
  /** Query sent with the list and the watch, e.g. `labelSelector=...`. */
  query?: string;
  /** Item key: the name by default; namespace/name for namespaced objects of every namespace. */
  key?: (o: KubeObject) => string;
  /** Trims an object before it is kept and passed on (client-go's TransformFunc): memory. */
  transform?: (o: KubeObject) => KubeObject;
  /**
   * Called, and the informer stopped, when the host refuses the list (403): the caller watches
   * otherwise (per namespace, under a least-privilege deploy). Unset: retried like any error.
   */
  onForbidden?: () => void;
}

export class HostInformer {
  readonly items = new Map<string, KubeObject>();
  private rv = '';
  private stopped = false;
  private abort?: AbortController;
  /** Ends the retry loop's sleep at once (stop). */
  private wake?: () => void;
  private synced!: Promise<void>;
  private markSynced!: () => void;

  constructor(
    private readonly client: HostClient,
    private readonly collectionPath: string,
    private readonly logger: Logger,
    private readonly onEvent?: (e: InformerEvent) => void,
    private readonly opts: InformerOptions = {},
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
    this.wake?.();
  }

  private async list(): Promise<void> {
    const q = this.opts.query ? `?${this.opts.query}` : '';
    const path = `${this.collectionPath}${q}`;
    const ok = this.opts.onForbidden ? [403] : [];
    const res = await this.client.must<KubeList>('GET', path, undefined, ok);
    if (res.status === 403 && this.opts.onForbidden) {
      this.stop();
      this.opts.onForbidden();
      return;
    }
    const seen = new Set<string>();
    for (const raw of res.body.items) {
      const obj = this.opts.transform ? this.opts.transform(raw) : raw;
      const name = this.key(obj);
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
        if (this.stopped) return;
        await this.watch();
        backoff = 200;
      } catch (err) {
        if (this.stopped) return;
        this.logger.warn({ err, path: this.collectionPath }, 'host watch interrupted; retrying');
        // Ended by stop: a stopped informer's retry never keeps the process from exiting (not
        // unref'd: a start waiting on the first list must keep it alive).
        await new Promise<void>((r) => {
          const t = setTimeout(r, backoff);
          this.wake = () => (clearTimeout(t), r());
        });
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async watch(): Promise<void> {
    this.abort = new AbortController();
    const res = await this.client.dispatcher.request({
      origin: this.client.origin,
      path: `${this.client.basePath}${this.collectionPath}?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(this.rv)}&timeoutSeconds=300${this.opts.query ? `&${this.opts.query}` : ''}`,
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
    for await (const ev of ndjson<{ type: string; object: KubeObject }>(res.body)) this.apply(ev);
  }

  private apply(ev: { type: string; object: KubeObject }): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'ERROR') {
      if ((ev.object as { code?: number }).code === 410) this.rv = '';
      throw new Error(
        `watch ${this.collectionPath}: ${(ev.object as { message?: string }).message ?? 'error event'}`,
      );
    }
    if (rv) this.rv = rv;
    if (ev.type === 'BOOKMARK') return;
    const obj = this.opts.transform ? this.opts.transform(ev.object) : ev.object;
    const name = this.key(obj);
    if (ev.type === 'DELETED') this.items.delete(name);
    else this.items.set(name, obj);
    this.onEvent?.({ type: ev.type as InformerEvent['type'], object: obj });
  }

  private key(o: KubeObject): string {
    return this.opts.key ? this.opts.key(o) : (o.metadata?.name ?? '');
  }
}
