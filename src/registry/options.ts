// Request options the generic registry honours, decoded from query parameters by the handlers
// (metav1.CreateOptions / UpdateOptions / PatchOptions / DeleteOptions / ListOptions).
import type { KubeObject } from '../api/object.js';
import type { FieldValidation, UserInfo } from './strategy.js';

export interface WriteOptions {
  user: UserInfo;
  userAgent?: string;
  /** dryRun=All: validate everything, write nothing. */
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  /** Strict-decoding errors found while parsing the body (e.g. `duplicate field "spec.x"`). */
  decodeErrors: string[];
  /** Collects `Warning` header texts. */
  warnings: string[];
  /** 'status' or 'scale'. */
  subresource?: string;
  /**
   * The tenant's admission chain (src/admission/chain.ts) bound to this request, on the object as
   * it would be stored, after the strategy's validation; throws to refuse, adds to `warnings`.
   * Absent for kplex's own writes (seeding, controllers). True: a webhook mutated the object.
   */
  admit?: (
    operation: 'CREATE' | 'UPDATE',
    object: KubeObject,
    oldObject: KubeObject | null,
  ) => Promise<boolean | void>;
}

export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  user: UserInfo;
  dryRun: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: PropagationPolicy;
  /** Deprecated orphanDependents; false makes an unfinished delete answer 202. */
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  warnings: string[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** Watch only. */
  watch?: boolean;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}
