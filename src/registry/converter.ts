// What the generic registry needs of a custom resource's conversion when its CRD names a
// conversion webhook: objects are stored in the storage version and served in the version asked
// for, and converting between them is a call (admission/webhooks/conversion.ts). Without one
// (strategy None) converting is setting apiVersion, which the registry does itself.
import type { KubeObject } from '../api/object.js';

export interface ObjectConverter {
  /** The apiVersion objects are written to the store in. */
  readonly storageVersion: string;
  /**
   * `objects` in `apiVersion`, in their order; objects already in it come back as they are.
   * Throws the Status a failed conversion answers with.
   */
  convert(objects: readonly KubeObject[], apiVersion: string): Promise<KubeObject[]>;
}
