// Per-resource behaviour of the generic registry, as the apiserver's RESTCreateStrategy /
// RESTUpdateStrategy: the generic code does metadata, concurrency, patches, lists, watches and
// deletion for every virtual resource; a Strategy supplies only what differs by kind.
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import type { PrinterColumn, ResourceInfo } from '../resources/types.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** What a strategy may know of the request it serves. */
export interface StrategyContext {
  tenant: string;
  user: UserInfo;
  resource: ResourceInfo;
  /** 'status' or 'scale' when the request targets a subresource. */
  subresource?: string;
  fieldValidation: FieldValidation;
  /** Warnings to return in `Warning: 299 - "..."` headers. */
  warnings: string[];
}

export interface Strategy {
  /** Defaulting and clearing of fields the caller may not set (e.g. status on create). */
  prepareForCreate(obj: KubeObject, ctx: StrategyContext): void;
  /** Same on update; `old` is the stored object. */
  prepareForUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  validateCreate(obj: KubeObject, ctx: StrategyContext): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /**
   * Removes fields the schema does not know (pruning) and returns their paths (e.g.
   * `.spec.foo`), so the handler can apply fieldValidation Strict/Warn/Ignore.
   */
  pruneUnknownFields(obj: KubeObject, ctx: StrategyContext): string[];
  /** Schema defaults, applied when a body is decoded (after pruning), as the apiserver's codec does. */
  applyDefaults?(obj: KubeObject): void;
  /** False when applyDefaults can change nothing (a schema without defaults): stored objects are then served as stored. */
  defaultsApply?: boolean;
  /** Fields usable in fieldSelector (metadata.name and metadata.namespace are always added). */
  selectableFields(obj: KubeObject): Record<string, string>;
  /** Table columns for `as=Table` beyond Name (and Age, which the generic code adds). */
  printerColumns(): PrinterColumn[];
  /** True when objects may be created without a name being valid DNS-1123 subdomain etc. */
  nameValidation?: 'dns1123-subdomain' | 'dns1123-label' | 'path-segment';
  /** Called after an object was written or deleted (e.g. a CRD registers or drops its resource). */
  afterWrite?(obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): void;
}

/**
 * Optional, compatible additions to Strategy read by the generic registry (all default to the
 * custom-resource behaviour of the apiserver).
 */
export interface StrategyOptions {
  /** PUT of a missing object creates it (false for custom resources and namespaces). */
  allowCreateOnUpdate?: boolean;
  /** PUT without metadata.resourceVersion is allowed (false for custom resources). */
  allowUnconditionalUpdate?: boolean;
  /** application/strategic-merge-patch+json is accepted (built-in kinds only; never for CRs). */
  strategicMergePatch?: boolean;
  /** Schema for strategic merge and server-side apply. */
  patchSchema?(): import('../patch/types.js').SchemaNode | undefined;
  /** Names of the fields selectableFields() returns, for `field label not supported` checks. */
  selectableFieldNames?(): string[];
  /** DELETE answers with the deleted object instead of a Success Status. */
  returnDeletedObject?: boolean;
  /** Propagation when a DELETE names none (default DeleteDependents: background). */
  defaultGarbageCollectionPolicy?: 'OrphanDependents' | 'DeleteDependents';
  /**
   * Resource-specific deletion gate (Namespace: spec.finalizers). Marks `obj` for deletion
   * (deletionTimestamp, phase...) and returns true while the object must stay; a second DELETE
   * of an object already held answers 409 Conflict with `heldMessage`.
   */
  holdForDeletion?(obj: KubeObject, now: string): boolean;
  /** metadata.generation is kept (1 on create, +1 on spec changes); false for kinds without it (Namespace). */
  tracksGeneration?: boolean;
  /**
   * A /status write keeps everything but status from the stored object (custom resources: the
   * default). False for built-in kinds whose status strategy resets only spec (Namespace), so
   * metadata changes in a status write apply; prepareForUpdate sees subresource 'status'.
   */
  statusKeepsOnlyStatus?: boolean;
  heldMessage?: string;
}

export type FullStrategy = Strategy & StrategyOptions;
