// Runs the real kubectl (the machine's dispatcher picks the version matching the server).
import { spawnSync } from 'node:child_process';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, args: string[], input?: string): KubectlResult {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(kubeconfig: string, args: string[], input?: string): string {
  const r = kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
