// The first step of a tenant request on a sharded kplex: serve it here while this replica holds
// the tenant's shard, forward it to the holder of that shard's Lease otherwise, and answer 503
// with Retry-After when the shard has no live holder (never wait for one). Forwarding headers are
// believed only on a replica's connection and removed from every other request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/object.js';
import { writeError } from '../api/respond.js';
import { forwardedCertificates } from '../auth/credentials.js';
import type { TenantHandler } from '../server/server.js';
import { tenantName } from '../tenancy/tenant-name.js';
import { FORWARDED_BY_HEADER, FORWARDED_CERT_HEADER, FORWARDING_HEADERS } from './forward-headers.js';
import { ownerUnavailable, type Forwarder } from './forwarder.js';
import type { ShardOwner } from './lease-view.js';
import { shardOf } from './tenant-shard.js';
import type { ServingSet } from './serving-set.js';
import { STORE_COPY_PATH, movingTo } from './tenant-move.js';

export interface GateDeps {
  shard: number;
  shards: number;
  /** This replica's holder identity. */
  identity: string;
  /** The Tenant object of a name, as the watch last saw it. */
  tenant(name: string): KubeObject | undefined;
  /** True while this replica holds its shard's Lease. */
  held(): boolean;
  owner(shard: number): ShardOwner | undefined;
  /** The replica identity of a request's connection (a peer certificate), if any. */
  replicaOf(req: IncomingMessage): string | undefined;
  forwarder: Forwarder;
  /** Requests being served here: ended when the Lease is lost or the tenant moves. */
  serving: ServingSet;
  /** Answers the new owner's request for a moving tenant's store (this replica owns it). */
  copyStore(name: string, tenant: KubeObject, res: ServerResponse): Promise<void>;
}

/** Keeps forwarding headers only on a replica's connection; says whether it is one, and forwarded. */
function acceptForwarding(
  deps: GateDeps,
  req: IncomingMessage,
): { fromReplica: boolean; forwarded: boolean } {
  const fromReplica = deps.replicaOf(req) !== undefined;
  if (!fromReplica) {
    for (const h of FORWARDING_HEADERS) delete req.headers[h];
    return { fromReplica, forwarded: false };
  }
  const cert = req.headers[FORWARDED_CERT_HEADER];
  if (typeof cert === 'string' && cert) forwardedCertificates.set(req, Buffer.from(cert, 'base64'));
  delete req.headers[FORWARDED_CERT_HEADER];
  return { fromReplica, forwarded: req.headers[FORWARDED_BY_HEADER] !== undefined };
}

export function shardGate(deps: GateDeps, inner: TenantHandler): TenantHandler {
  return async (req, res, raw, path) => {
    const { fromReplica, forwarded } = acceptForwarding(deps, req);
    const name = tenantName(raw);
    const tenant = name ? deps.tenant(name) : undefined;
    // No such tenant: the pipeline answers as it does unsharded (401), on any replica.
    if (!name || !tenant) return inner(req, res, raw, path);
    const shard = shardOf(tenant, deps.shards);
    if (shard === undefined) {
      writeError(res, ownerUnavailable(name, 'it is not placed on a shard yet'));
      return;
    }
    const moving = movingTo(tenant, deps.shards);
    if (moving !== undefined) {
      if (fromReplica && path === STORE_COPY_PATH && shard === deps.shard && deps.held())
        return deps.copyStore(name, tenant, res);
      writeError(res, ownerUnavailable(name, `it is moving to shard ${moving}`));
      return;
    }
    if (shard === deps.shard && deps.held()) {
      deps.serving.add(req, res, name);
      return inner(req, res, raw, path);
    }
    const owner = deps.owner(shard);
    // One hop at most: a forwarded request that finds ownership moved is answered, not passed on.
    if (!owner || forwarded || owner.identity === deps.identity) {
      writeError(res, ownerUnavailable(name, `shard ${shard} has no live owner`));
      return;
    }
    return deps.forwarder.forward(req, res, name, owner);
  };
}
