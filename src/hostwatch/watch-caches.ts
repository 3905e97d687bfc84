// The shared host watches of the process: one per resource type and form, started by its first
// watcher and stopped a grace period after its last one left.
import type { Logger } from '../log/logger.js';
import type { HostClient } from '../hostapi/host-client.js';
import { DeadlineSweep } from './deadline-sweep.js';
import type { RingBounds } from './event-ring.js';
import { type CacheKey, HostWatchCache } from './watch-cache.js';

export interface WatchCacheOptions {
  ring: RingBounds;
  /** How long an unwatched cache keeps its host watch (a client re-watching finds it warm). */
  graceMs: number;
  /** After a failed start (e.g. the host refuses kplex a cluster-wide list), how long to not try again. */
  retryAfterMs: number;
}

export const DEFAULT_WATCH_CACHE_OPTIONS: WatchCacheOptions = {
  // The apiserver's watch cache keeps up to ~100 k events per resource; a tenant's watch mostly
  // resumes from a recent version, so 10 k events or 32 MiB a resource type bound kplex's memory.
  ring: { events: 10_000, bytes: 32 * 1024 * 1024 },
  graceMs: 60_000,
  retryAfterMs: 30_000,
};

export interface CacheLease {
  cache: HostWatchCache;
  release(): void;
}

export class HostWatchCaches {
  private readonly caches = new Map<
    string,
    { cache: HostWatchCache; users: number; idle?: NodeJS.Timeout }
  >();
  private readonly failed = new Map<string, number>();
  /** The timeoutSeconds of every watch served from these caches. */
  readonly deadlines = new DeadlineSweep();

  /** `host` is kplex's own client: the shared watches count against no tenant's share. */
  constructor(
    private readonly host: HostClient,
    private readonly logger: Logger,
    private readonly opts: WatchCacheOptions = DEFAULT_WATCH_CACHE_OPTIONS,
  ) {}

  /**
   * The ready cache of `key`, or undefined when it cannot be had now (serve the watch another way).
   * `from`: the version the watcher resumes from, where a cache it starts first lists.
   */
  async acquire(key: CacheKey, from?: number): Promise<CacheLease | undefined> {
    const id = `${key.format} ${key.path}`;
    if ((this.failed.get(id) ?? 0) > Date.now()) return undefined;
    let entry = this.caches.get(id);
    if (!entry) {
      entry = { cache: new HostWatchCache(this.host, key, this.opts.ring, this.logger, from), users: 0 };
      this.caches.set(id, entry);
      entry.cache.start();
      this.logger.info({ path: key.path, format: key.format }, 'shared host watch started');
    }
    const e = entry;
    e.users++;
    if (e.idle) clearTimeout(e.idle);
    e.idle = undefined;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--e.users > 0) return;
      e.idle = setTimeout(() => {
        if (e.users > 0 || this.caches.get(id) !== e) return;
        this.caches.delete(id);
        e.cache.stop();
        this.logger.info({ path: key.path, format: key.format }, 'shared host watch stopped (no watchers)');
      }, this.opts.graceMs).unref();
    };
    try {
      await e.cache.ready;
    } catch (err) {
      release();
      if (this.caches.get(id) === e) {
        this.caches.delete(id);
        e.cache.stop();
        this.failed.set(id, Date.now() + this.opts.retryAfterMs);
        this.logger.warn(
          { err, path: key.path },
          'shared host watch unavailable; watches fan out per namespace',
        );
      }
      return undefined;
    }
    return { cache: e.cache, release };
  }

  /** Host watches held (for tests and the bench). */
  get size(): number {
    return this.caches.size;
  }

  close(): void {
    for (const e of this.caches.values()) {
      if (e.idle) clearTimeout(e.idle);
      e.cache.stop();
    }
    this.caches.clear();
  }
}
