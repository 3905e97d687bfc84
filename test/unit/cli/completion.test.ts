// `kplex completion bash|zsh`: the scripts name every subcommand and option of the real command
// tree, and the bash one completes as a shell would run it.
import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { bashCompletion, commandLevels, zshCompletion } from '../../../src/cli/completion.js';
import { kplexProgram } from '../../../src/cli/program.js';

let program: Command;
beforeAll(async () => {
  program = await kplexProgram();
}, 60_000);

/** Every command path below kplex, e.g. 'tenant create'. */
function paths(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const p = prefix ? `${prefix} ${c.name()}` : c.name();
    return [p, ...paths(c, p)];
  });
}

/** What bash completes for the words of a command line (the last one is being typed). */
function complete(script: string, line: string[]): string[] {
  const res = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kplex; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      ...line,
    ],
    { encoding: 'utf8' },
  );
  expect(res.status, res.stderr).toBe(0);
  return res.stdout.split('\n').filter(Boolean);
}

describe('kplex completion', () => {
  it('names every subcommand, at every level, in both scripts', () => {
    const all = paths(program);
    expect(all).toEqual(
      expect.arrayContaining(['serve', 'tenant create', 'kubeconfig', 'keys rotate', 'completion']),
    );
    for (const script of [bashCompletion(program), zshCompletion(program)])
      for (const p of all) {
        expect(script).toContain(`'${p}'`);
        expect(script).toContain(p.split(' ').pop());
      }
  });

  it('lists every visible option of every command', () => {
    for (const level of commandLevels(program)) {
      const cmd = level.path
        ? level.path.split(' ').reduce((c, n) => c.commands.find((s) => s.name() === n)!, program)
        : program;
      for (const o of cmd.options.filter((o) => !o.hidden))
        expect(level.options.map((w) => w.word)).toContain(o.long);
    }
  });

  it('bash completes subcommands, options, option values and arguments of a few values', () => {
    const script = bashCompletion(program);
    expect(complete(script, ['kplex', 'ten'])).toEqual(['tenant']);
    expect(complete(script, ['kplex', 'tenant', ''])).toEqual(
      expect.arrayContaining(['create', 'delete', 'list', 'help']),
    );
    expect(complete(script, ['kplex', 'tenant', 'create', '--h'])).toEqual(['--host-kubeconfig', '--help']);
    expect(complete(script, ['kplex', 'kubeconfig', 'demo', '--da'])).toEqual(['--data-dir']);
    // an option's value is left to the shell's file name completion
    expect(complete(script, ['kplex', 'tenant', 'create', '--host-kubeconfig', ''])).toEqual([]);
    expect(complete(script, ['kplex', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  // compsys stubbed: what the script hands to _describe, _files and compadd
  it.skipIf(spawnSync('zsh', ['--version']).status !== 0)(
    'zsh completes subcommands, options and values',
    () => {
      const zsh = (line: string[]): string[] => {
        const res = spawnSync(
          'zsh',
          [
            '-c',
            `compdef() {}; _describe() { print -l -- \${(P)argv[-1]} }; _files() { print FILES }
compadd() { shift; print -l -- "$@" }
${zshCompletion(program)}
words=("$@"); CURRENT=$#; _kplex`,
            'zsh',
            ...line,
          ],
          { encoding: 'utf8' },
        );
        expect(res.status, res.stderr).toBe(0);
        return res.stdout.split('\n').filter(Boolean);
      };
      expect(zsh(['kplex', 'tenant', ''])).toEqual(
        expect.arrayContaining(['create:create a tenant; its endpoint is https://<kplex>/clusters/<name>']),
      );
      expect(zsh(['kplex', 'kubeconfig', 'demo', '--'])).toContain(
        '--data-dir:kplex data dir (signing keys and serving CA)',
      );
      expect(zsh(['kplex', 'tenant', 'create', '--host-kubeconfig', ''])).toEqual(['FILES']);
      expect(zsh(['kplex', 'completion', ''])).toEqual(['bash:', 'zsh:']);
    },
  );

  it('completes the values of an option that takes one of a few', () => {
    const cmd = new Command('kplex').addCommand(
      new Command('x').addOption(new Option('--level <l>').choices(['low', 'high'])),
    );
    expect(complete(bashCompletion(cmd), ['kplex', 'x', '--level', 'h'])).toEqual(['high']);
    expect(zshCompletion(cmd)).toContain(`('x|--level') values='low high'; compadd`);
  });

  it('quotes descriptions for zsh', () => {
    const cmd = new Command('kplex').addCommand(new Command('x').description("it's a:b"));
    expect(zshCompletion(cmd)).toContain(`items=('x:it'\\''s a:b' `);
  });
});
