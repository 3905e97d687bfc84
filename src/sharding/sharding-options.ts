// The sharding flags of `kplex serve`, checked together.
import os from 'node:os';
import type { ServeConfig } from '../config/serve-config.js';
import type { ShardingOptions } from './sharding.js';

export const MAX_SHARDS = 1024;

/** undefined when not sharded (--shards 0); throws on a shard outside 0..shards-1. */
export function shardingOptions(cfg: ServeConfig): ShardingOptions | undefined {
  if (!cfg.shards) return undefined;
  if (cfg.shards < 0 || cfg.shards > MAX_SHARDS) throw new Error(`--shards must be 0..${MAX_SHARDS}`);
  if (cfg.shard < 0 || cfg.shard >= cfg.shards) throw new Error(`--shard must be 0..${cfg.shards - 1}`);
  if (cfg.shardLeaseSeconds < 1) throw new Error('--shard-lease-seconds must be at least 1');
  return {
    shard: cfg.shard,
    shards: cfg.shards,
    identity: cfg.replicaId ?? `${os.hostname()}-shard-${cfg.shard}`,
    leaseSeconds: cfg.shardLeaseSeconds,
  };
}

/** Where other replicas reach this one. */
export function peerAddress(cfg: ServeConfig, port: number): string {
  if (cfg.peerAddress) return cfg.peerAddress;
  const configured = process.env['KPLEX_ADVERTISE_ADDRESS'];
  const wildcard = cfg.bindAddress === '0.0.0.0' || cfg.bindAddress === '::';
  const host = configured ?? (wildcard ? '127.0.0.1' : cfg.bindAddress);
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
