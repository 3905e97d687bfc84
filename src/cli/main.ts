#!/usr/bin/env node
// The `kplex` command. Each subcommand lives in its own file; every one answers --help.
import { Command } from 'commander';
import { kplexVersion } from '../version.js';
import { keysCommand } from './keys.js';
import { kubeconfigCommand } from './kubeconfig.js';
import { serveCommand } from './serve.js';
import { tenantCommand } from './tenant.js';

const program = new Command('kplex')
  .description('A Kubernetes cluster per tenant on one shared host cluster')
  .version(kplexVersion)
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(tenantCommand())
  .addCommand(kubeconfigCommand())
  .addCommand(keysCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`kplex: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
