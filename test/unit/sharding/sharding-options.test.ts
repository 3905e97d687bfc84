import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addConfigOptions } from '../../../src/cli/options.js';
import { serveOptions, type ServeConfig } from '../../../src/config/serve-config.js';
import { peerAddress, shardingOptions } from '../../../src/sharding/sharding-options.js';

const cfg = (args: string[]): ServeConfig =>
  addConfigOptions(new Command('serve'), serveOptions)
    .exitOverride()
    .parse(args, { from: 'user' })
    .opts<ServeConfig>();

describe('kplex serve sharding flags', () => {
  it('is not sharded unless --shards is given; the lease defaults to 15 s', () => {
    expect(shardingOptions(cfg([]))).toBeUndefined();
    expect(shardingOptions(cfg(['--shards', '3', '--shard', '2', '--replica-id', 'r2']))).toEqual({
      shard: 2,
      shards: 3,
      identity: 'r2',
      leaseSeconds: 15,
    });
  });

  it('refuses a shard outside 0..shards-1 and a lease under a second', () => {
    expect(() => shardingOptions(cfg(['--shards', '3', '--shard', '3']))).toThrow(/--shard must be 0..2/);
    expect(() => shardingOptions(cfg(['--shards', '2', '--shard-lease-seconds', '0']))).toThrow(/at least 1/);
    expect(() => shardingOptions(cfg(['--shards', '5000']))).toThrow(/--shards must be/);
  });

  it('tells other replicas a reachable address: the given one, else the bind address (loopback for a wildcard)', () => {
    expect(peerAddress(cfg(['--peer-address', 'https://kplex-1.kplex:9443/']), 9443)).toBe(
      'https://kplex-1.kplex:9443',
    );
    expect(peerAddress(cfg(['--bind-address', '127.0.0.1']), 9444)).toBe('https://127.0.0.1:9444');
    expect(peerAddress(cfg(['--bind-address', '0.0.0.0']), 9445)).toBe('https://127.0.0.1:9445');
  });
});
