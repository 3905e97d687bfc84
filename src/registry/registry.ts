// The generic registry for virtual resources: the semantics of
// k8s.io/apiserver/pkg/registry/generic/registry.Store over a TenantStore, a Strategy and a
// ResourceInfo (metadata, optimistic concurrency, generation, subresources, field validation,
// managedFields, dryRun). Deletion, lists/watches, patches and scale live in sibling modules.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../api/object.js';
import {
  type FieldError,
  type GroupKind,
  type GroupResource,
  badRequest,
  conflict,
  internalError,
  invalid,
  notFound,
} from '../api/status.js';
import type { ResourceInfo } from '../resources/types.js';
import { groupVersion } from '../resources/types.js';
import type { ObjectKey, StoredObject, TenantStore } from '../store/types.js';
import { generateName, validateObjectName } from './names.js';
import { clone, rfc3339, sameStoredContent, specPart, deepEqual } from './object-utils.js';
import type { ObjectConverter } from './converter.js';
import type { WriteOptions } from './options.js';
import { trackUpdate } from './patch-engine.js';
import type { FullStrategy, StrategyContext } from './strategy.js';

export const optimisticLockErrorMsg =
  'the object has been modified; please apply your changes to the latest version and try again';

/** Called after an object is removed from the store (garbage collection of its dependents). */
export interface DeletionObserver {
  objectDeleted(obj: KubeObject, info: ResourceInfo): void;
  /** An object is marked for deletion and holds GC finalizers (orphan / foregroundDeletion). */
  objectFinalizing(obj: KubeObject, info: ResourceInfo): void;
}

export interface RegistryDeps {
  tenant: string;
  store: TenantStore;
  info: ResourceInfo;
  strategy: FullStrategy;
  /** The tenant's garbage collector, when one runs. */
  gc?: DeletionObserver;
  /** The CRD's conversion webhook (strategy Webhook); without it converting is setting apiVersion. */
  converter?: ObjectConverter;
  now?: () => Date;
}

export class VirtualRegistry {
  readonly gr: GroupResource;
  readonly gk: GroupKind;
  constructor(readonly deps: RegistryDeps) {
    this.gr = { group: deps.info.group, resource: deps.info.resource };
    this.gk = { group: deps.info.group, kind: deps.info.kind };
  }

  get info(): ResourceInfo {
    return this.deps.info;
  }
  get strategy(): FullStrategy {
    return this.deps.strategy;
  }
  get store(): TenantStore {
    return this.deps.store;
  }
  now(): Date {
    return this.deps.now?.() ?? new Date();
  }
  get apiVersion(): string {
    return groupVersion(this.info);
  }

  key(namespace: string, name: string): ObjectKey {
    return {
      group: this.info.group,
      resource: this.info.resource,
      namespace: this.info.namespaced ? namespace : '',
      name,
    };
  }

  strategyContext(opts: {
    user: WriteOptions['user'];
    subresource?: string;
    fieldValidation?: WriteOptions['fieldValidation'];
    warnings: string[];
  }): StrategyContext {
    return {
      tenant: this.deps.tenant,
      user: opts.user,
      resource: this.info,
      subresource: opts.subresource,
      fieldValidation: opts.fieldValidation ?? 'Warn',
      warnings: opts.warnings,
    };
  }

  notFoundError(name: string): Error {
    return notFound(this.gr, name);
  }

  getStored(namespace: string, name: string): StoredObject {
    const s = this.store.get(this.key(namespace, name));
    if (!s) throw notFound(this.gr, name);
    return s;
  }

  get(namespace: string, name: string): KubeObject {
    // The store hands out its own copy (TenantStore.get): no second copy needed.
    return this.withTypeMeta(this.getStored(namespace, name).object);
  }

  /** Type meta of the version served by this registry: with conversion None, converting is setting apiVersion. */
  withTypeMeta(obj: KubeObject): KubeObject {
    // Stored in another version of a CRD with a conversion webhook: `served` converts it.
    if (this.deps.converter && obj.apiVersion && obj.apiVersion !== this.apiVersion) return obj;
    obj.apiVersion = this.apiVersion;
    obj.kind = this.info.kind;
    // Defaults added to a schema after an object was stored apply when it is read, as the
    // apiserver's storage decoder does.
    this.strategy.applyDefaults?.(obj);
    return obj;
  }

  /** Objects from `withTypeMeta` in this version: those stored in another one through the conversion webhook. */
  async served(objs: KubeObject[]): Promise<KubeObject[]> {
    const c = this.deps.converter;
    if (!c || objs.every((o) => o.apiVersion === this.apiVersion)) return objs;
    const converted = await c.convert(objs, this.apiVersion);
    return converted.map((o, i) => (o === objs[i] ? o : this.withTypeMeta(o)));
  }

  /** A stored object as this version serves it (a copy). */
  async read(stored: KubeObject): Promise<KubeObject> {
    return (await this.served([this.withTypeMeta(clone(stored))]))[0]!;
  }

  /** An object about to be written, in the storage version (only a conversion webhook changes it). */
  private async toStorage(obj: KubeObject): Promise<KubeObject> {
    const c = this.deps.converter;
    if (!c || obj.apiVersion === c.storageVersion) return obj;
    return (await c.convert([obj], c.storageVersion))[0]!;
  }

  /**
   * The stored JSON text of an object when serving it needs no change (it already names the served
   * apiVersion and kind, first, and no schema default applies on read), else undefined: a LIST then
   * writes the text as stored instead of decoding and encoding it again.
   */
  servedAsStored(json: string): string | undefined {
    if (this.strategy.applyDefaults && this.strategy.defaultsApply !== false) return undefined;
    const head =
      (this.typeMetaHead ??= `{"apiVersion":${JSON.stringify(this.apiVersion)},"kind":${JSON.stringify(this.info.kind)},`);
    return json.startsWith(head) ? json : undefined;
  }
  private typeMetaHead?: string;

  /**
   * Decoding as the apiserver's codec does it: prunes unknown fields, applies schema defaults,
   * and applies fieldValidation to the pruned fields and to the body's duplicates.
   */
  applyFieldValidation(
    obj: KubeObject,
    opts: WriteOptions,
    ctx: StrategyContext,
    kind: 'body' | 'patch',
    patchText?: string,
  ): void {
    const unknown = this.strategy
      .pruneUnknownFields(obj, ctx)
      .map((p) => `unknown field "${p.replace(/^\./, '')}"`);
    this.strategy.applyDefaults?.(obj);
    const errs = [...opts.decodeErrors, ...unknown];
    if (errs.length === 0 || opts.fieldValidation === 'Ignore') return;
    if (opts.fieldValidation === 'Warn') {
      opts.warnings.push(...errs);
      return;
    }
    const strict = `strict decoding error: ${errs.join(', ')}`;
    if (kind === 'patch') {
      throw invalid({ group: '', kind: '' }, '', [
        {
          type: 'FieldValueInvalid',
          field: 'patch',
          value: patchText ?? JSON.stringify(obj),
          detail: strict,
        },
      ]);
    }
    const k = this.info.kind;
    throw badRequest(`${k} in version "${this.info.version}" cannot be handled as a ${k}: ${strict}`);
  }

  async trackManagedFields(
    old: KubeObject | undefined,
    obj: KubeObject,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    return trackUpdate(old, obj, {
      manager: opts.fieldManager,
      userAgent: opts.userAgent,
      subresource: opts.subresource,
      schema: this.strategy.patchSchema?.(),
      now: this.now(),
    });
  }

  validateName(obj: KubeObject): FieldError[] {
    return validateObjectName(obj.metadata ?? {}, this.strategy.nameValidation ?? 'dns1123-subdomain');
  }

  /** POST: a new object. `opts.decodeErrors` come from the body's strict parse. */
  async create(
    namespace: string,
    input: KubeObject,
    opts: WriteOptions,
    prePruned = false,
    managedFieldsDone = false,
  ): Promise<KubeObject> {
    const obj = this.withTypeMeta(clone(input));
    const meta = (obj.metadata ??= {});
    if (this.info.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion)
      throw internalError(new Error('resourceVersion should not be set on objects to be created'));
    const ctx = this.strategyContext(opts);
    if (!prePruned) this.applyFieldValidation(obj, opts, ctx, 'body');
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    // FillObjectMetaSystemFields and the custom-resource strategy's generation.
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    if (this.strategy.tracksGeneration !== false) meta.generation = 1;
    else delete meta.generation;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (this.info.subresources?.status) delete obj['status'];
    this.strategy.prepareForCreate(obj, ctx);
    const errs = [...this.validateName(obj), ...this.strategy.validateCreate(obj, ctx)];
    if (errs.length > 0) throw invalid(this.gk, meta.name ?? '', errs);
    if ((await opts.admit?.('CREATE', obj, null)) === true) {
      const again = [...this.validateName(obj), ...this.strategy.validateCreate(obj, ctx)];
      if (again.length > 0) throw invalid(this.gk, meta.name ?? '', again);
    }
    // An apply that creates the object computed its managedFields already (operation Apply).
    const tracked = managedFieldsDone ? obj : await this.trackManagedFields(undefined, obj, opts);
    // As the apiserver's storage: encoded to the storage version, the answer decoded back (a dry run too).
    const toStore = await this.toStorage(tracked);
    if (opts.dryRun) return this.read(toStore);
    const stored = this.store.create(this.key(namespace, meta.name!), toStore);
    this.strategy.afterWrite?.(stored.object, undefined, ctx);
    return this.read(stored.object);
  }

  /**
   * PUT (and the write half of PATCH): `mutate` builds the new object from the stored one (or
   * from undefined when the object does not exist and creation is allowed).
   */
  async update(
    namespace: string,
    name: string,
    input: KubeObject,
    opts: WriteOptions,
    extra: {
      forceAllowCreate?: boolean;
      prePruned?: boolean;
      patchText?: string;
      managedFieldsDone?: boolean;
    } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const existing = this.store.get(this.key(namespace, name));
    const sub = opts.subresource;
    if (!existing) {
      if (sub || !(this.strategy.allowCreateOnUpdate || extra.forceAllowCreate))
        throw notFound(this.gr, name);
      return {
        object: await this.create(namespace, input, opts, extra.prePruned, extra.managedFieldsDone),
        created: true,
      };
    }
    // Decoded into this version, as GuaranteedUpdate does (a conversion webhook call when stored in another).
    const old = this.deps.converter ? await this.read(existing.object) : existing.object;
    const ctx = this.strategyContext(opts);
    let obj = this.withTypeMeta(clone(input));
    if (!extra.prePruned)
      this.applyFieldValidation(
        obj,
        opts,
        ctx,
        extra.patchText === undefined ? 'body' : 'patch',
        extra.patchText,
      );
    obj.metadata ??= {};
    const statusEnabled = !!this.info.subresources?.status;
    if (sub === 'status' && this.strategy.statusKeepsOnlyStatus !== false) {
      // The status subresource writes status only (and managedFields), everything else is kept.
      const next = clone(old);
      next.metadata = {
        ...next.metadata,
        resourceVersion: obj.metadata.resourceVersion,
        managedFields: obj.metadata.managedFields,
      };
      if (obj['status'] === undefined) delete next['status'];
      else next['status'] = obj['status'];
      obj = next;
    } else if (statusEnabled && sub !== 'status' && sub !== 'approval') {
      // (approval writes status.conditions: its strategy keeps the rest of status)
      if (old['status'] === undefined) delete obj['status'];
      else obj['status'] = clone(old['status']);
    }
    const meta = obj.metadata!;
    const oldMeta = old.metadata ?? {};
    // Optimistic concurrency (GuaranteedUpdate with the object's resourceVersion).
    const rv = meta.resourceVersion;
    if (!rv) {
      if (!this.strategy.allowUnconditionalUpdate) {
        throw invalid({ group: this.gr.group, kind: this.gr.resource }, name, [
          {
            type: 'FieldValueInvalid',
            field: 'metadata.resourceVersion',
            omitValue: true,
            detail: '0x0: must be specified for an update',
          },
        ]);
      }
    } else if (rv !== String(existing.rv)) {
      throw conflict(this.gr, name, optimisticLockErrorMsg);
    }
    meta.resourceVersion = String(existing.rv);
    // rest.BeforeUpdate: system fields the caller cannot change.
    if (this.info.namespaced) meta.namespace = namespace;
    meta.generation = oldMeta.generation;
    meta.uid ||= oldMeta.uid;
    if (oldMeta.creationTimestamp) meta.creationTimestamp = oldMeta.creationTimestamp;
    if (oldMeta.deletionTimestamp) meta.deletionTimestamp = oldMeta.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (oldMeta.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) {
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    }
    this.strategy.prepareForUpdate(obj, old, ctx);
    const errs: FieldError[] = [];
    if (meta.uid !== oldMeta.uid)
      errs.push({
        type: 'FieldValueInvalid',
        field: 'metadata.uid',
        value: meta.uid,
        detail: 'field is immutable',
      });
    if (meta.name !== oldMeta.name)
      errs.push({
        type: 'FieldValueInvalid',
        field: 'metadata.name',
        value: meta.name,
        detail: 'field is immutable',
      });
    errs.push(...this.strategy.validateUpdate(obj, old, ctx));
    if (errs.length > 0) throw invalid(this.gk, name, errs);
    if ((await opts.admit?.('UPDATE', obj, old)) === true) {
      const again = this.strategy.validateUpdate(obj, old, ctx);
      if (again.length > 0) throw invalid(this.gk, name, again);
    }
    if (
      this.strategy.tracksGeneration !== false &&
      !deepEqual(specPart(obj, statusEnabled), specPart(old, statusEnabled))
    ) {
      meta.generation = (oldMeta.generation ?? 0) + 1;
    }
    if (!extra.managedFieldsDone) obj = await this.trackManagedFields(old, obj, opts);
    if (sameStoredContent(obj, old)) return { object: this.withTypeMeta(clone(old)), created: false };
    const m = obj.metadata!;
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0) {
      // The last finalizer is gone: the update completes the deletion (ShouldDeleteDuringUpdate).
      if (opts.dryRun) return { object: this.withTypeMeta(obj), created: false };
      const removed = this.store.delete(this.key(namespace, name), existing.rv);
      this.strategy.afterWrite?.(removed.object, old, ctx);
      this.deps.gc?.objectDeleted(removed.object, this.info);
      return { object: this.withTypeMeta(clone(obj)), created: false };
    }
    const toStore = await this.toStorage(obj);
    if (opts.dryRun) return { object: await this.read(toStore), created: false };
    const stored = this.store.update(this.key(namespace, name), toStore, existing.rv);
    this.strategy.afterWrite?.(stored.object, old, ctx);
    if (m.deletionTimestamp) this.deps.gc?.objectFinalizing(stored.object, this.info);
    return { object: await this.read(stored.object), created: false };
  }
}
