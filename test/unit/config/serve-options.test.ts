import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addConfigOptions } from '../../../src/cli/options.js';
import { serveOptions, shardNumber } from '../../../src/config/serve-config.js';

describe('kplex serve options', () => {
  it('every flag given on the command line reaches the config under its key', () => {
    const args: string[] = [];
    for (const o of serveOptions) {
      const takesValue = /<[^>]+>/.test(o.flag);
      const boolean = o.flag.endsWith('<bool>');
      args.push(
        o.flag.split(' ')[0]!,
        ...(takesValue
          ? [boolean ? 'false' : o.flag.endsWith('<url>') ? 'https://x' : o.parse ? '7' : `value-of-${o.key}`]
          : []),
      );
    }
    const cmd = addConfigOptions(new Command('serve'), serveOptions).exitOverride();
    cmd.parse(args, { from: 'user' });
    const opts = cmd.opts<Record<string, unknown>>();
    for (const o of serveOptions) expect(opts[o.key], o.flag).toBeDefined();
    expect(opts['tlsPrivateKeyFile']).toBe('value-of-tlsPrivateKeyFile');
  });

  it('--log-requests is on unless set to false, and refuses anything but true or false', () => {
    const parse = (args: string[]) =>
      addConfigOptions(new Command('serve'), serveOptions)
        .exitOverride()
        .configureOutput({ writeErr: () => {} })
        .parse(args, { from: 'user' })
        .opts<Record<string, unknown>>();
    expect(parse([])['logRequests']).toBe(true);
    expect(parse(['--log-requests', 'false'])['logRequests']).toBe(false);
    expect(() => parse(['--log-requests', 'no'])).toThrow(/true or false/);
  });

  it('--external-url takes an http(s) URL without query, fragment or credentials', () => {
    const opt = serveOptions.find((o) => o.key === 'externalUrl')!;
    expect(opt.parse!('https://kplex.example.com/')).toBe('https://kplex.example.com');
    expect(opt.parse!('https://kplex.example.com:8443/k8s/')).toBe('https://kplex.example.com:8443/k8s');
    for (const bad of ['kplex.example.com', 'ftp://x', 'https://x/?a=b', 'https://x/#f', 'https://u:p@x/'])
      expect(() => opt.parse!(bad), bad).toThrow();
  });

  it('refuses an option whose key is not where commander puts its value', () => {
    expect(() =>
      addConfigOptions(new Command('x'), [
        { key: 'tlsKeyFile' as never, flag: '--tls-private-key-file <file>', env: 'X', description: '' },
      ]),
    ).toThrow(/tlsPrivateKeyFile/);
  });

  it('--shard ordinal is the number that ends the host name (a StatefulSet pod), else a plain integer', () => {
    expect(shardNumber('ordinal', 'kplex-2')).toBe(2);
    expect(shardNumber('ordinal', 'kplex-10')).toBe(10);
    expect(shardNumber('3', 'anything')).toBe(3);
    expect(() => shardNumber('ordinal', 'laptop')).toThrow(/does not end in -<number>/);
    expect(() => shardNumber('two')).toThrow(/not an integer/);
  });
});
