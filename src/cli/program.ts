// The `kplex` command tree. Each subcommand lives in its own file; every one answers --help.
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
  // The completion script is generated from the whole tree, this command included.
  completion: async () => (await import('./completion.js')).completionCommand(() => kplexProgram()),
};

/**
 * The program with subcommand `only` when it names one (the command line's first argument), else
 * with all of them: for `kplex --help`, a typo's suggestions and the completion script.
 */
export async function kplexProgram(only?: string): Promise<Command> {
  const program = new Command('kplex')
    .description('A Kubernetes cluster per tenant on one shared host cluster')
    .version(kplexVersion)
    .showHelpAfterError();
  const named = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  for (const name of named) program.addCommand(await COMMANDS[name]!());
  return program;
}
