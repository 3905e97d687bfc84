// Raw API access with a kubeconfig's credentials (the host admin's or a tenant's), for tests that
// compare status codes and bodies byte for byte rather than kubectl's rendering of them.
import { HostClient } from '../../src/hostapi/host-client.js';
import { loadHostConnection } from '../../src/hostapi/host-config.js';

export async function apiClient(kubeconfig: string): Promise<HostClient> {
  return new HostClient(await loadHostConnection(kubeconfig));
}
