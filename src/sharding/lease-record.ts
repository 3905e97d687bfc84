// The shard Leases (coordination.k8s.io/v1) in kplex's host namespace, and the decisions of
// client-go's leaderelection (tryAcquireOrRenew) over them as pure functions: who may take a
// Lease, and the record written on acquire, renew and release.
import type { KubeObject } from '../api/object.js';
import { KEYS_NAMESPACE } from '../auth/key-store.js';

export const LEASE_NAMESPACE = KEYS_NAMESPACE;
export const LEASES_PATH = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
/** Marks kplex's shard Leases (the informer of every replica lists them by it). */
export const SHARD_LEASE_LABEL = 'kplex.io/shard-lease';
/** Where the holder answers forwarded requests (https://host:port). */
export const PEER_ADDRESS_ANNOTATION = 'kplex.io/peer-address';
/** PEM of the CA that verifies the holder's serving certificate. */
export const SERVING_CA_ANNOTATION = 'kplex.io/serving-ca';
/** How many shards the holder was started with (`kplex tenant create` balances over them). */
export const SHARDS_ANNOTATION = 'kplex.io/shards';

export const leaseName = (shard: number): string => `kplex-shard-${shard}`;

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type Lease = KubeObject & { spec?: LeaseSpec };

/** What the holder publishes besides the Lease's spec. */
export interface HolderInfo {
  identity: string;
  address: string;
  servingCA: string;
  shards: number;
}

/** MicroTime as the apiserver writes it (RFC 3339 with microseconds). */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/**
 * May `me` take or keep the Lease? As client-go: yes when it holds it already, when nobody does,
 * or when the record has not changed for leaseDurationSeconds since `observedAt` (this replica's
 * clock: no clock comparison across machines).
 */
export function mayAcquire(lease: Lease | undefined, me: string, observedAt: number, now: number): boolean {
  const holder = lease?.spec?.holderIdentity ?? '';
  if (!lease || holder === '' || holder === me) return true;
  const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
  return observedAt + duration <= now;
}

/** The Lease after `me` acquires or renews it at `now` (leaseTransitions counts changes of holder). */
export function acquiredLease(
  shard: number,
  lease: Lease | undefined,
  info: HolderInfo,
  durationSeconds: number,
  now: number,
): Lease {
  const prev = lease?.spec ?? {};
  const renewing = prev.holderIdentity === info.identity;
  const transitions = prev.leaseTransitions ?? 0;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...(lease?.metadata ?? {}),
      name: leaseName(shard),
      namespace: LEASE_NAMESPACE,
      labels: { ...(lease?.metadata?.labels ?? {}), [SHARD_LEASE_LABEL]: String(shard) },
      annotations: {
        ...(lease?.metadata?.annotations ?? {}),
        [PEER_ADDRESS_ANNOTATION]: info.address,
        [SERVING_CA_ANNOTATION]: info.servingCA,
        [SHARDS_ANNOTATION]: String(info.shards),
      },
    },
    spec: {
      holderIdentity: info.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: renewing && prev.acquireTime ? prev.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: renewing || !lease ? transitions : transitions + 1,
    },
  };
}

/** The Lease given up (client-go's release: no holder, a 1 s duration). */
export function releasedLease(lease: Lease, now: number): Lease {
  return {
    ...lease,
    spec: {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: microTime(now),
      renewTime: microTime(now),
    },
  };
}

/** The shard a Lease is for, from its label (undefined: not a shard Lease). */
export function leaseShard(lease: KubeObject): number | undefined {
  const v = lease.metadata?.labels?.[SHARD_LEASE_LABEL];
  return v !== undefined && /^\d{1,4}$/.test(v) ? Number(v) : undefined;
}
