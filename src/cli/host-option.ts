// The host kubeconfig option of every command that talks to the host: the same flags (kubectl's
// --kubeconfig too), environment variable and lookup order (src/hostapi/host-config.ts) everywhere.
import { Option } from 'commander';

export const HOST_LOOKUP =
  "default, as kubectl: $KUBECONFIG, ~/.kube/config, the pod's ServiceAccount, then .kplex/host/kubeconfig of the local stack";

/** `--kubeconfig, --host-kubeconfig <file>`, stored as `hostKubeconfig`; `what` says what the host is for. */
export const hostKubeconfigOption = (what: string): Option =>
  new Option('--kubeconfig, --host-kubeconfig <file>', `${what} (${HOST_LOOKUP})`).env(
    'KPLEX_HOST_KUBECONFIG',
  );
