// One shared host watch of a resource type across the whole host (the apiserver's watch cache
// pattern): one LIST then one WATCH with bookmarks, every object kept by host namespace, recent
// events kept in a bounded ring for resumes. Watches of every tenant subscribe to it by host
// namespace; the host sees one watch per resource type however many tenants and watchers there are.
import type { Logger } from '../log/logger.js';
import type { HostClient } from '../hostapi/host-client.js';
import { callHost, readJSON } from '../hostapi/host-request.js';
import { isObject } from '../api/object.js';
import { EventRing, type RingBounds } from './event-ring.js';
import {
  type CacheFormat,
  FORMAT_ACCEPT,
  FORMAT_QUERY,
  cachedItem,
  resourceVersionOf,
  tableRows,
} from './formats.js';
import { ndjsonSized } from '../api/ndjson.js';
import { hostVersion } from './freshness.js';
import { Subscriber, type SubscriberSpec } from './subscriber.js';
import type { CachedEvent, CachedItem, ChangeType, Obj } from './types.js';

export interface CacheKey {
  /** The host collection across all namespaces, e.g. `/api/v1/pods`. */
  path: string;
  format: CacheFormat;
}

/** Objects per page of the cache's host LIST (bounds one response, not the state). */
const LIST_PAGE = 500;
/** The cache's host watch is renewed this often (the host ends it; resumed from the last version). */
const WATCH_SECONDS = 300;
/**
 * After the host said its version, how long a consistent read waits for changes up to it still on
 * their way down the cache's own watch (the host sends them before it answers the probe, mostly).
 */
const SETTLE_MS = 10;

/**
 * The answer to a watch from a version before the cache's list: the cache cannot tell what
 * changed between them, the host can (its window is longer); serve the watch another way.
 */
export const BEFORE_CACHE = 'before-cache';

/** The answer to a watch from a version the ring no longer reaches (the apiserver's 410 Expired). */
export interface Expired {
  requested: number;
  oldest: number;
}

export interface Subscription {
  /** A host namespace the watcher gets while it runs: its cached objects are sent as ADDED first. */
  addNamespace(ns: string): void;
  close(): void;
}

export class HostWatchCache {
  /** Objects by host namespace, then name. */
  private readonly objects = new Map<string, Map<string, CachedItem>>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly all = new Set<Subscriber>();
  private ring: EventRing;
  private rv = 0;
  /** The version of the last LIST: the ring holds every event after it (until it drops the oldest). */
  private listRV = 0;
  private needList = true;
  private stopped = false;
  private abort?: AbortController;
  /** Consistent reads waiting for the cache to reach a version. */
  private readonly waiters = new Set<{ rv: number; done: () => void }>();
  /** Table column definitions (the host sends them with the list and a watch's first event only). */
  columns: unknown[] = [];
  /** Resolves after the first LIST, rejects when it fails (the caller serves the watch another way). */
  readonly ready: Promise<void>;
  private settle!: (err?: Error) => void;

  constructor(
    private readonly host: HostClient,
    readonly key: CacheKey,
    private readonly bounds: RingBounds,
    private readonly logger: Logger,
    /**
     * The version the first watcher resumes from (a client lists, then watches from the list's
     * version): the first LIST is read at it, so that watcher and those after it are served.
     */
    private startRV?: number,
  ) {
    this.ring = new EventRing(bounds, 0);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    this.ready.catch(() => undefined);
  }

  /** The version the cache has reached (events and bookmarks applied). */
  get resourceVersion(): number {
    return this.rv;
  }

  get oldest(): number {
    return this.ring.oldest;
  }

  /** The version of the cache's last LIST (watches from before it are not served here). */
  get listResourceVersion(): number {
    return this.listRV;
  }

  get subscriberCount(): number {
    return this.all.size;
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.endAll();
    this.settle(new Error('host watch cache stopped'));
  }

  /**
   * A watch from the current state (`from` undefined: every object as ADDED first) or from a
   * version (the ring's events after it; a version the cache has not reached yet sends events
   * after it). Synchronous: no event can fall between the replay and the subscription.
   */
  subscribe(
    spec: Omit<SubscriberSpec, 'after'>,
    from: number | undefined,
  ): Subscription | Expired | typeof BEFORE_CACHE {
    if (from !== undefined && from < this.listRV) return BEFORE_CACHE;
    if (from !== undefined && from < this.ring.oldest) return { requested: from, oldest: this.ring.oldest };
    const sub = new Subscriber({ ...spec, after: Math.max(from ?? 0, 0) });
    if (from === undefined)
      for (const ns of sub.namespaces) sub.sendState(this.inNamespace(ns), resourceVersionOf);
    else if (from < this.rv) {
      for (const ev of this.ring.since(from) ?? []) if (sub.namespaces.has(ev.item.ns)) sub.deliver(ev);
    }
    if (sub.closed) return { addNamespace: () => undefined, close: () => undefined };
    for (const ns of sub.namespaces) this.index(ns, sub);
    this.all.add(sub);
    return {
      addNamespace: (ns) => {
        if (sub.closed || sub.namespaces.has(ns)) return;
        sub.namespaces.add(ns);
        sub.sendState(this.inNamespace(ns), resourceVersionOf);
        this.index(ns, sub);
      },
      close: () => this.unsubscribe(sub),
    };
  }

  private index(ns: string, sub: Subscriber): void {
    let set = this.subscribers.get(ns);
    if (!set) this.subscribers.set(ns, (set = new Set()));
    set.add(sub);
  }

  private unsubscribe(sub: Subscriber): void {
    sub.closed = true;
    this.all.delete(sub);
    for (const ns of sub.namespaces) {
      const set = this.subscribers.get(ns);
      set?.delete(sub);
      if (set?.size === 0) this.subscribers.delete(ns);
    }
  }

  /** The ring's events after `rv` (a view rebuilding an older state), undefined when it no longer reaches back. */
  eventsAfter(rv: number): readonly CachedEvent[] | undefined {
    if (rv < this.listRV) return undefined;
    return rv >= this.rv ? [] : this.ring.since(rv);
  }

  /**
   * The version at which the cache holds every change the host had committed when this was called
   * (a consistent read, as the apiserver's ConsistentListFromCache): the host's current version
   * (freshness.ts), then the cache's own watch catching up to it, at most `SETTLE_MS` for a change
   * still on its way. Undefined when the host did not answer within `timeoutMs`: read from the host.
   */
  async consistentVersion(timeoutMs: number): Promise<number | undefined> {
    const target = await hostVersion(this.host, this.key.path, timeoutMs);
    if (target === undefined || this.stopped || this.needList) return undefined;
    if (this.rv < target) await this.reached(target, SETTLE_MS);
    return this.stopped || this.needList ? undefined : this.rv;
  }

  /** Resolves once the cache has reached `rv` (an event or a bookmark) or after `ms`. */
  private reached(rv: number, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const w = {
        rv,
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve();
        },
      };
      const timer = setTimeout(w.done, ms);
      this.waiters.add(w);
    });
  }

  private progressed(): void {
    for (const w of this.waiters) if (this.rv >= w.rv) w.done();
  }

  /** The cached objects of a host namespace (a LIST served from the cache). */
  inNamespace(ns: string): Iterable<CachedItem> {
    return this.objects.get(ns)?.values() ?? [];
  }

  private endAll(): void {
    for (const sub of [...this.all]) {
      this.unsubscribe(sub);
      sub.closed = false;
      sub.end();
    }
  }

  private async loop(): Promise<void> {
    let backoff = 200;
    while (!this.stopped) {
      try {
        if (this.needList) await this.list();
        await this.watch();
        backoff = 200;
      } catch (err) {
        if (this.stopped) return;
        // The host client was closed (kplex is shutting down): nothing to retry.
        if (err instanceof Error && /Client(Destroyed|Closed)Error/.test(err.name)) return this.stop();
        this.logger.warn(
          { err, path: this.key.path, format: this.key.format },
          'shared host watch interrupted; retrying',
        );
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private query(extra: Record<string, string>): URLSearchParams {
    return new URLSearchParams({ ...FORMAT_QUERY[this.key.format], ...extra });
  }

  private async list(): Promise<void> {
    const values: Obj[] = [];
    let cont = '';
    let rv = 0;
    const at = this.startRV;
    this.startRV = undefined; // a relist reads the current state
    do {
      const exact: Record<string, string> =
        at && !cont ? { resourceVersion: String(at), resourceVersionMatch: 'Exact' } : {};
      const res = await callHost(this.host, {
        method: 'GET',
        path: this.key.path,
        query: this.query({ limit: String(LIST_PAGE), ...exact, ...(cont ? { continue: cont } : {}) }),
        accept: FORMAT_ACCEPT[this.key.format],
      });
      const body = await readJSON(res);
      if (at && res.statusCode === 410) return this.list(); // compacted: the current state
      if (res.statusCode !== 200 || !isObject(body)) {
        const err = new Error(`shared host watch: list ${this.key.path}: ${res.statusCode}`);
        this.settle(err); // the first list failed: its waiting watches are served another way
        throw err;
      }
      const meta = (isObject(body['metadata']) ? body['metadata'] : {}) as Obj;
      rv ||= Number(meta['resourceVersion']) || 0;
      cont = typeof meta['continue'] === 'string' ? meta['continue'] : '';
      values.push(...this.listValues(body));
    } while (cont);
    this.replace(values, rv);
    this.logger.info(
      { path: this.key.path, format: this.key.format, rv, objects: values.length },
      'shared host watch listed',
    );
  }

  /**
   * The state listed at `rv`. On a relist (the host's 410) watchers resumed from the old state
   * could miss changes: they end and re-watch from their last version (410 if the new ring is past it).
   */
  replace(values: Obj[], rv: number): void {
    this.endAll();
    this.objects.clear();
    for (const value of values) {
      const item = cachedItem(this.key.format, value);
      let m = this.objects.get(item.ns);
      if (!m) this.objects.set(item.ns, (m = new Map()));
      m.set(item.name, item);
    }
    this.rv = rv;
    this.listRV = rv;
    this.ring = new EventRing(this.bounds, rv);
    this.needList = false;
    this.settle();
  }

  private listValues(body: Obj): Obj[] {
    if (this.key.format === 'table') {
      const defs = body['columnDefinitions'];
      if (Array.isArray(defs) && defs.length) this.columns = defs;
      return tableRows(body);
    }
    const items = Array.isArray(body['items']) ? (body['items'] as unknown[]).filter(isObject) : [];
    // List items carry no kind: a synthetic ADDED event's object must.
    const kind = String(body['kind'] ?? '').replace(/List$/, '');
    const apiVersion = body['apiVersion'];
    return items.map((i) => ({ kind, apiVersion, ...i }));
  }

  private async watch(): Promise<void> {
    this.abort = new AbortController();
    const res = await callHost(this.host, {
      method: 'GET',
      path: this.key.path,
      query: this.query({
        watch: '1',
        allowWatchBookmarks: 'true',
        resourceVersion: String(this.rv),
        timeoutSeconds: String(WATCH_SECONDS),
      }),
      accept: FORMAT_ACCEPT[this.key.format],
      signal: this.abort.signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      if (res.statusCode === 410) this.needList = true;
      throw new Error(`shared host watch: watch ${this.key.path}: ${res.statusCode}`);
    }
    for await (const { value, bytes } of ndjsonSized<{ type: string; object: Obj }>(res.body)) {
      if (this.stopped) return;
      if (value.type === 'ERROR') {
        if (value.object['code'] === 410) {
          this.needList = true;
          this.endAll(); // they could miss what happens until the relist: they re-watch
          return;
        }
        throw new Error(`shared host watch: ${String(value.object['message'] ?? 'error event')}`);
      }
      if (value.type === 'BOOKMARK') this.bookmark(value.object);
      else this.apply(value.type as ChangeType, value.object, bytes);
    }
  }

  private bookmark(obj: Obj): void {
    const rv = Number((obj['metadata'] as Obj | undefined)?.['resourceVersion']) || 0;
    if (rv <= this.rv) return;
    this.rv = rv;
    for (const sub of this.all) sub.bookmark(rv);
    this.progressed();
  }

  /** One host event: the state, the ring, then the subscribers of its namespace. */
  apply(type: ChangeType, value: Obj, bytes: number): void {
    if (this.key.format === 'table') {
      const defs = value['columnDefinitions'];
      if (Array.isArray(defs) && defs.length) this.columns = defs;
      value = { ...value, columnDefinitions: [] };
    }
    const item = cachedItem(this.key.format, value);
    const rv = resourceVersionOf(item);
    if (rv <= this.rv) return; // already applied (versions of one resource type only grow)
    let m = this.objects.get(item.ns);
    const prev = m?.get(item.name);
    if (type === 'DELETED') {
      m?.delete(item.name);
      if (m?.size === 0) this.objects.delete(item.ns);
    } else {
      if (!m) this.objects.set(item.ns, (m = new Map()));
      m.set(item.name, item);
    }
    const ev: CachedEvent = { type, item, prev, rv, bytes };
    this.ring.push(ev);
    this.rv = rv;
    if (this.waiters.size) this.progressed();
    const subs = this.subscribers.get(item.ns);
    if (!subs) return;
    for (const sub of [...subs]) {
      sub.deliver(ev);
      if (sub.closed) this.unsubscribe(sub);
    }
  }
}
