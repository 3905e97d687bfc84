// Every command that talks to the host takes its kubeconfig the same way: --kubeconfig as kubectl,
// --host-kubeconfig, KPLEX_HOST_KUBECONFIG, and says where it looks otherwise.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { HOST_LOOKUP, hostKubeconfigOption } from '../../../src/cli/host-option.js';
import { kplexProgram } from '../../../src/cli/program.js';

const commands = (cmd: Command, prefix = ''): [string, Command][] =>
  cmd.commands.flatMap((c) => {
    const p = `${prefix} ${c.name()}`.trim();
    return [[p, c] as [string, Command], ...commands(c, p)];
  });

describe('the host kubeconfig option', () => {
  it('is --kubeconfig or --host-kubeconfig or KPLEX_HOST_KUBECONFIG, stored as hostKubeconfig', () => {
    const parse = (args: string[], env: Record<string, string> = {}) => {
      const saved = process.env.KPLEX_HOST_KUBECONFIG;
      if (env.KPLEX_HOST_KUBECONFIG) process.env.KPLEX_HOST_KUBECONFIG = env.KPLEX_HOST_KUBECONFIG;
      else delete process.env.KPLEX_HOST_KUBECONFIG;
      try {
        return new Command().addOption(hostKubeconfigOption('x')).parse(args, { from: 'user' }).opts();
      } finally {
        if (saved === undefined) delete process.env.KPLEX_HOST_KUBECONFIG;
        else process.env.KPLEX_HOST_KUBECONFIG = saved;
      }
    };
    expect(parse(['--kubeconfig', 'a'])).toEqual({ hostKubeconfig: 'a' });
    expect(parse(['--host-kubeconfig', 'b'])).toEqual({ hostKubeconfig: 'b' });
    expect(parse([], { KPLEX_HOST_KUBECONFIG: 'c' })).toEqual({ hostKubeconfig: 'c' });
  });

  it('is the same on every command that has one (serve: its config table)', async () => {
    const withHost = commands(await kplexProgram()).filter(([, c]) =>
      c.options.some((o) => o.long === '--host-kubeconfig'),
    );
    expect(withHost.map(([p]) => p)).toEqual(
      expect.arrayContaining(['tenant create', 'tenant list', 'kubeconfig', 'keys rotate']),
    );
    for (const [p, c] of withHost.filter(([p]) => p !== 'serve')) {
      const o = c.options.find((o) => o.long === '--host-kubeconfig')!;
      expect([p, o.short, o.envVar]).toEqual([p, '--kubeconfig', 'KPLEX_HOST_KUBECONFIG']);
      expect(o.description).toContain(HOST_LOOKUP);
    }
  }, 60_000);
});
