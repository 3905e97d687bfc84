// `kplex keys`: the token signing keys every replica shares (host Secret, or a data dir).
import { Command, Option } from 'commander';
import { hostKubeconfigOption } from './host-option.js';
import {
  FileKeyStore,
  HostSecretKeyStore,
  KEYS_NAMESPACE,
  KEYS_SECRET,
  rotateKeys,
  type KeyStore,
} from '../auth/key-store.js';
import { HostClient } from '../hostapi/host-client.js';
import { loadHostConnection } from '../hostapi/host-config.js';

interface KeyOptions {
  hostKubeconfig?: string;
  dataDir?: string;
}

export const keyStoreOptions = (cmd: Command): Command =>
  cmd
    .addOption(
      hostKubeconfigOption(`host cluster whose Secret ${KEYS_NAMESPACE}/${KEYS_SECRET} holds the keys`),
    )
    .addOption(
      new Option('--data-dir <dir>', 'use the keys of a kplex data dir instead of the host Secret').env(
        'KPLEX_DATA_DIR',
      ),
    );

/** Runs `fn` with the key store the options name: the data dir when given, else the host Secret. */
export async function withKeyStore<T>(o: KeyOptions, fn: (store: KeyStore) => Promise<T>): Promise<T> {
  if (o.dataDir) return fn(new FileKeyStore(o.dataDir));
  const host = new HostClient(await loadHostConnection(o.hostKubeconfig));
  try {
    return await fn(new HostSecretKeyStore(host));
  } finally {
    await host.close();
  }
}

export function keysCommand(): Command {
  const cmd = new Command('keys').description('List and rotate the token signing keys');
  keyStoreOptions(cmd.command('list').description('list the trusted keys (the last one signs)')).action(
    async (o: KeyOptions) => {
      const keys = await withKeyStore(o, (s) => s.load());
      process.stdout.write(
        ['KID\tCREATED', ...keys.keys.map((k) => `${k.kid}\t${k.created}`)].join('\n') + '\n',
      );
    },
  );
  keyStoreOptions(
    cmd.command('rotate').description('add a new signing key; keep the newest --keep keys trusted'),
  )
    .option('--keep <n>', 'how many keys stay trusted (older ones are dropped)', '3')
    .action(async (o: KeyOptions & { keep: string }) => {
      const keys = await withKeyStore(o, (s) => rotateKeys(s, Number(o.keep)));
      process.stdout.write(
        `signing key ${keys.keys[keys.keys.length - 1]!.kid} added; ${keys.keys.length} trusted\n`,
      );
    });
  return cmd;
}
