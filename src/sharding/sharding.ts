// A sharded replica (`kplex serve --shard K --shards N`): holds shard K's Lease, serves the
// tenants of shard K while it does, forwards every other tenant's requests to its shard's holder,
// and (while holding shard 0) places new tenants on the least-loaded shard. Losing the Lease ends
// every request served here and closes the shard's tenant stores.
import type { KubeObject } from '../api/object.js';
import type { HostClient } from '../hostapi/host-client.js';
import type { Logger } from '../log/logger.js';
import type { TenantHandler } from '../server/server.js';
import type { StorePool } from '../store/store-pool.js';
import type { TenantDirectory } from '../tenancy/tenant-directory.js';
import { Forwarder, ownerUnavailable } from './forwarder.js';
import { LeaseView } from './lease-view.js';
import { leaseTiming } from './lease-timing.js';
import { PeerTrust } from './peer-trust.js';
import { ShardAssigner } from './shard-assigner.js';
import { shardGate } from './shard-gate.js';
import { ShardLease } from './shard-lease.js';
import { MoveWorker } from './move-worker.js';
import { ServingSet } from './serving-set.js';
import { shardOf } from './tenant-shard.js';

export interface ShardingOptions {
  shard: number;
  shards: number;
  identity: string;
  leaseSeconds: number;
}

export interface Sharding {
  /** Wraps the tenant pipeline with the shard gate. */
  gate(inner: TenantHandler): TenantHandler;
  /** Whether this replica serves the tenant now (its status, its host reconcilers). */
  serves(tenant: string): boolean;
  /** Why this replica may not write `tenant`'s store now (its shard's Lease is not held), if so. */
  writable(tenant: string): Error | undefined;
  /** Takes the Lease once the server listens at `address`. */
  start(address: string, servingCA: string): void;
  stop(): Promise<void>;
}

export async function startSharding(
  host: HostClient,
  tenants: TenantDirectory,
  pool: StorePool,
  opts: ShardingOptions,
  logger: Logger,
  /** Forgets a tenant's runtime and deletes its store files (a tenant moved away). */
  forget: (name: string, uid: string) => Promise<void>,
): Promise<Sharding> {
  const log = logger.child({ component: 'sharding', shard: opts.shard });
  const peers = await PeerTrust.load(host, opts.identity);
  const view = new LeaseView(host, log);
  await view.start();
  const forwarder = new Forwarder(opts.identity, peers.credential);
  const serving = new ServingSet();
  let lease: ShardLease | undefined;
  const held = (): boolean => lease?.held() ?? false;
  const assigner = new ShardAssigner(
    host,
    opts.shards,
    () => tenants.names().flatMap((n) => [tenants.get(n)].filter((t): t is KubeObject => t !== undefined)),
    () => opts.shard === 0 && held(),
    log,
  );
  tenants.onChange(() => assigner.kick());
  const moves = new MoveWorker({
    host,
    pool,
    shard: opts.shard,
    shards: opts.shards,
    held,
    owner: (shard) => view.owner(shard),
    tenant: (name) => tenants.get(name),
    forwarder,
    identity: opts.identity,
    serving,
    forget,
    logger: log,
  });
  tenants.onChange((e) => {
    if (e.type !== 'DELETED') moves.observe(e.object);
  });

  const fence = (): void => {
    // Every request served under the Lease ends now; the stores close once no request holds them.
    serving.endAll();
    setImmediate(() => {
      for (const name of tenants.names()) {
        const t = tenants.get(name);
        const uid = t?.metadata?.uid;
        if (uid && shardOf(t, opts.shards) === opts.shard) pool.peek(uid)?.close();
      }
    });
  };

  return {
    gate: (inner) =>
      shardGate(
        {
          shard: opts.shard,
          shards: opts.shards,
          identity: opts.identity,
          tenant: (name) => tenants.get(name),
          held,
          owner: (shard) => view.owner(shard),
          replicaOf: (req) => peers.replicaOf(req),
          forwarder,
          serving,
          copyStore: (name, tenant, res) => moves.copyStore(name, tenant, res),
        },
        inner,
      ),
    serves: (name) => shardOf(tenants.get(name), opts.shards) === opts.shard && held(),
    writable: (tenant) =>
      held() ? undefined : ownerUnavailable(tenant, `this replica's Lease of shard ${opts.shard} lapsed`),
    start(address, servingCA) {
      lease = new ShardLease(
        host,
        opts.shard,
        { identity: opts.identity, address, servingCA, shards: opts.shards },
        leaseTiming(opts.leaseSeconds),
        log,
        { acquired: () => assigner.kick(), lost: fence },
      );
      lease.start();
    },
    async stop() {
      await lease?.stop();
      view.stop();
      forwarder.close();
    },
  };
}
