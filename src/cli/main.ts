#!/usr/bin/env node
// The `kplex` command. Each subcommand lives in its own file; every one answers --help.
import { Command } from 'commander';
import { kplexVersion } from '../version.js';

/**
 * Subcommands, loaded on use: `serve` imports the whole server (about 2 s of module loading on a
 * busy 2-core machine), which `kplex tenant list` or `kplex kubeconfig` have no use for.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).serveCommand(),
  tenant: async () => (await import('./tenant.js')).tenantCommand(),
  kubeconfig: async () => (await import('./kubeconfig.js')).kubeconfigCommand(),
  keys: async () => (await import('./keys.js')).keysCommand(),
};

async function main(argv: string[]): Promise<void> {
  const program = new Command('kplex')
    .description('A Kubernetes cluster per tenant on one shared host cluster')
    .version(kplexVersion)
    .showHelpAfterError();
  // The named subcommand only; all of them for `kplex --help`, a typo's suggestions and the like.
  const named = argv[2] !== undefined && Object.hasOwn(COMMANDS, argv[2]) ? [argv[2]] : Object.keys(COMMANDS);
  for (const name of named) program.addCommand(await COMMANDS[name]!());
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`kplex: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
