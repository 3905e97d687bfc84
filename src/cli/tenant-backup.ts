// `kplex tenant backup` and `kplex tenant restore`: one tenant's virtual store, copied out of and
// back into a kplex data dir. Stores are files named by Tenant UID (src/store/store-pool.ts), so
// the Tenant is read from the host to find the file (or named with --tenant-uid).
import path from 'node:path';
import { Command, Option } from 'commander';
import { hostKubeconfigOption } from './host-option.js';
import { HostClient } from '../hostapi/host-client.js';
import { loadHostConnection } from '../hostapi/host-config.js';
import { servingPid } from '../store/serve-marker.js';
import { backupTenantStore, restoreTenantStore } from '../store/tenant-backup.js';
import { tenantFileName } from '../store/tenant-file.js';
import { TENANTS_PATH } from '../tenancy/tenant-crd.js';
import { tenantNameErrors } from '../tenancy/tenant-name.js';

interface Common {
  dataDir: string;
  hostKubeconfig?: string;
  tenantUid?: string;
}

const RESTORE_HELP = `
A restore replaces the tenant's virtual store as a whole: namespaces, CRDs and custom resources,
RBAC and the other virtual kinds come back with their UIDs and resourceVersions. Objects that live
on the host (pods, services, configmaps, secrets, workloads... in the tenant's host namespaces) are
not in the store and are not restored: they are what the host holds now (host namespaces that are
gone are made again, empty, on first use). Tokens issued for an earlier Tenant of the same name
stay invalid: issue new kubeconfigs.

The restore refuses while a kplex serves from the data dir (stop it, or scale it to 0) or while any
process has the tenant's store open.`;

function common(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--data-dir <dir>', 'kplex data dir (as `kplex serve --data-dir`)')
        .env('KPLEX_DATA_DIR')
        .default(path.join('.kplex', 'data')),
    )
    .addOption(hostKubeconfigOption('host cluster the Tenant is read from'))
    .option('--tenant-uid <uid>', "the Tenant's metadata.uid, instead of reading the Tenant from the host");
}

/** The UID and store file of the live Tenant `name`. */
async function tenantStore(name: string, o: Common): Promise<{ uid: string; file: string }> {
  const errs = tenantNameErrors(name);
  if (errs.length) throw new Error(`invalid tenant name "${name}": ${errs.join('; ')}`);
  const uid = o.tenantUid ?? (await tenantUid(name, o));
  return { uid, file: path.join(o.dataDir, 'tenants', tenantFileName(uid)) };
}

async function tenantUid(name: string, o: Common): Promise<string> {
  const host = new HostClient(await loadHostConnection(o.hostKubeconfig));
  try {
    const res = await host.request<{ metadata?: { uid?: string } }>('GET', `${TENANTS_PATH}/${name}`);
    if (res.status === 404) throw new Error(`tenant "${name}" not found`);
    const uid = res.status === 200 ? res.body.metadata?.uid : undefined;
    if (!uid) throw new Error(`reading tenant "${name}" from the host: ${res.status}`);
    return uid;
  } finally {
    await host.close();
  }
}

export function backupCommand(): Command {
  return common(
    new Command('backup')
      .argument('<name>', 'tenant')
      .description("copy a tenant's virtual store to a file (consistent, while kplex serves)")
      .requiredOption('-o, --output <file>', 'the backup file to write (must not exist)'),
  ).action(async (name: string, o: Common & { output: string }) => {
    const { uid, file } = await tenantStore(name, o);
    const info = backupTenantStore(file, o.output, { tenant: name, tenantUid: uid });
    process.stdout.write(
      `tenant ${name} backed up to ${o.output} (resourceVersion ${info.resourceVersion})\n`,
    );
  });
}

export function restoreCommand(): Command {
  return common(
    new Command('restore')
      .argument('<name>', 'tenant (it must exist on the host: create it again if it was deleted)')
      .description("replace a tenant's virtual store by a backup (kplex stopped)")
      .requiredOption('-f, --filename <file>', 'the backup file')
      .addHelpText('after', RESTORE_HELP),
  ).action(async (name: string, o: Common & { filename: string }) => {
    const pid = servingPid(o.dataDir);
    if (pid !== undefined)
      throw new Error(
        `a kplex (pid ${pid}) serves from ${o.dataDir}: stop it before a restore (its marker: ${path.join(o.dataDir, 'kplex.pid')})`,
      );
    const info = restoreTenantStore(o.filename, (await tenantStore(name, o)).file, name);
    process.stdout.write(
      `tenant ${name} restored from ${o.filename} (taken ${info.takenAt}, resourceVersion ${info.resourceVersion})\n`,
    );
  });
}
