import { createHash } from 'node:crypto';

/** The opaque hash discovery publishes for a resource's storage version (apiserver discovery.StorageVersionHash). */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256')
    .update(`${group}/${version}/${kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}
