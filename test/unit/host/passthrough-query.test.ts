// The query parameters a tenant may send on to the host: the ones that shape its own request, never
// ones that weaken how the host reaches its nodes.
import { describe, expect, it } from 'vitest';
import { PASSED_QUERY } from '../../../src/host/passthrough-data.js';

describe('passthrough query parameters', () => {
  it('passes the list, write, log and stream options a tenant uses', () => {
    for (const k of [
      'labelSelector',
      'fieldSelector',
      'limit',
      'dryRun',
      'follow',
      'container',
      'command',
      'ports',
    ])
      expect(PASSED_QUERY.has(k), k).toBe(true);
  });

  it('never passes a raw continue token: only the host token kplex sealed and opened again', () => {
    expect(PASSED_QUERY.has('continue')).toBe(false);
  });

  it('drops insecureSkipTLSVerifyBackend: a tenant cannot turn off the host-to-kubelet TLS check', () => {
    expect(PASSED_QUERY.has('insecureSkipTLSVerifyBackend')).toBe(false);
  });
});
