import { Command, Option } from 'commander';
import { hostKubeconfigOption } from './host-option.js';
import { HostClient } from '../hostapi/host-client.js';
import { loadHostConnection } from '../hostapi/host-config.js';
import { backupCommand, restoreCommand } from './tenant-backup.js';
import { moveTenant } from '../sharding/move-request.js';
import { createTenant, deleteTenant, installTenantCRD, listTenants } from '../tenancy/tenant-admin.js';

const hostKubeconfig = (): Option => hostKubeconfigOption('kubeconfig of the host cluster');

async function withHost<T>(file: string | undefined, fn: (host: HostClient) => Promise<T>): Promise<T> {
  const host = new HostClient(await loadHostConnection(file));
  try {
    return await fn(host);
  } finally {
    await host.close();
  }
}

export function tenantCommand(): Command {
  const cmd = new Command('tenant').description(
    'Create, list, delete, back up and restore tenants (Tenant objects on the host)',
  );
  cmd
    .command('create <name>')
    .description('create a tenant; its endpoint is https://<kplex>/clusters/<name>')
    .addOption(hostKubeconfig())
    .action(async (name: string, o: { hostKubeconfig?: string }) => {
      await withHost(o.hostKubeconfig, async (host) => {
        await installTenantCRD(host);
        await createTenant(host, name);
      });
      process.stdout.write(`tenant.kplex.io/${name} created\n`);
    });
  cmd
    .command('delete <name>')
    .description('delete a tenant and everything it holds')
    .addOption(hostKubeconfig())
    .action(async (name: string, o: { hostKubeconfig?: string }) => {
      const found = await withHost(o.hostKubeconfig, (host) => deleteTenant(host, name));
      if (!found) throw new Error(`tenant "${name}" not found`);
      process.stdout.write(`tenant.kplex.io/${name} deleted\n`);
    });
  cmd
    .command('list')
    .description('list tenants')
    .addOption(hostKubeconfig())
    .action(async (o: { hostKubeconfig?: string }) => {
      const tenants = await withHost(o.hostKubeconfig, async (host) => {
        await installTenantCRD(host);
        return listTenants(host);
      });
      process.stdout.write(['NAME', ...tenants.map((t) => t.metadata?.name ?? '')].join('\n') + '\n');
    });
  cmd
    .command('move <name>')
    .description(
      "move a tenant to another shard of a sharded kplex: it answers 503 with Retry-After until the new shard's replica has its store",
    )
    .requiredOption('--to-shard <k>', 'the shard to move to', (v) => Number.parseInt(v, 10))
    .addOption(hostKubeconfig())
    .action(async (name: string, o: { toShard: number; hostKubeconfig?: string }) => {
      const ms = await withHost(o.hostKubeconfig, (host) => moveTenant(host, name, o.toShard));
      process.stdout.write(`tenant.kplex.io/${name} moved to shard ${o.toShard} in ${Math.round(ms)} ms\n`);
    });
  cmd.addCommand(backupCommand());
  cmd.addCommand(restoreCommand());
  return cmd;
}
