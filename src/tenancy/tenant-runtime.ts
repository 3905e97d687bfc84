// Everything kplex keeps for one ACTIVE tenant: its resource table (built-in rows + rows of its
// CRDs), the strategies and registries of its virtual resources, its garbage collector and
// namespace lifecycle. Runtimes are cheap to rebuild and live in a bounded LRU (runtime-cache.ts);
// idle tenants hold none.
import type { KubeObject } from '../api/object.js';
import { notFound } from '../api/status.js';
import {
  crdResourceInfos,
  crdStrategy,
  setCRDCondition as setCondition,
  customResourceStrategy,
  type CustomResourceDefinition,
} from '../apiextensions/index.js';
import { CUSTOM_RESOURCE_STRATEGY } from '../apiextensions/crd-resource-info.js';
import type { Logger } from '../log/logger.js';
import { VirtualGarbageCollector } from '../registry/garbage-collector.js';
import { VirtualRegistry } from '../registry/registry.js';
import type { FullStrategy } from '../registry/strategy.js';
import { DEFAULT_NAMESPACES } from '../builtin/builtin-virtual.js';
import { builtinRows } from '../builtin/builtin-table.js';
import type { ResourceInfo } from '../resources/types.js';
import type { DiscoveryTable } from '../discovery/index.js';
import type { TenantStore } from '../store/types.js';
import type { HostNamespaces } from './host-namespaces.js';
import type { TenantIdentity } from '../rewrite/namespace-translator.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { HostDependents } from './host-dependents.js';
import { HostOwnerSweep } from './host-owner-sweep.js';
import { namespaceStrategy } from './namespace-strategy.js';
import { TenantRbac } from '../rbac/tenant-rbac.js';
import { admissionStrategies } from '../admission/strategies.js';
import { ValidatingPolicies } from '../admission/policy/validating-policies.js';
import type { AdmissionChain } from '../admission/chain.js';
import { admissionChain } from '../admission/plugins.js';
import { DEFAULT_POLICY, type PolicyOf } from '../limits/tenant-policy.js';
import { csrStrategy } from '../admission/csr.js';
import type { KeyPairPem } from '../pki/certs.js';
import { CsrSigner } from './csr-signer.js';
import { HostClasses } from '../syncer/host-classes.js';

const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** A CRD's first DELETE: deletionTimestamp, the cleanup finalizer and the Terminating condition; later ones go on as usual. */
function markCRDForDeletion(obj: KubeObject, now: string): boolean {
  const meta = (obj.metadata ??= {});
  if (meta.deletionTimestamp) return false;
  meta.deletionTimestamp = now;
  if (!meta.finalizers?.includes(CRD_CLEANUP_FINALIZER))
    meta.finalizers = [...(meta.finalizers ?? []), CRD_CLEANUP_FINALIZER];
  const crd = obj as unknown as CustomResourceDefinition;
  setCondition(
    ((crd.status ??= {}).conditions ??= []),
    {
      type: 'Terminating',
      status: 'True',
      reason: 'InstanceDeletionPending',
      message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
    },
    now,
  );
  return true;
}

const rowKey = (group: string, version: string, resource: string): string =>
  `${group}/${version}/${resource}`;

export interface TenantRuntimeDeps {
  tenant: string;
  /** The Tenant object's metadata.uid: a new tenant of a deleted one's name is another tenant. */
  uid: string;
  store: () => TenantStore;
  hostNamespaces?: HostNamespaces;
  logger: Logger;
  /** The tenant's RBAC view when authorization already made one (RuntimeCache.rbac); else a new one. */
  rbac?: TenantRbac;
  /** The Tenant's workload policy (spec.policy), by Tenant UID; the defaults when not given. */
  policyOf?: PolicyOf;
  /** The tenant's client CA (created when missing): kube-apiserver-client CSRs are signed with it. */
  clientCA?: () => Promise<KeyPairPem>;
}

export class TenantRuntime {
  readonly gc: VirtualGarbageCollector;
  /** The garbage collector's host half (when the tenant has a host). */
  readonly hostOwned?: HostDependents;
  /** The other way: host owners deleted on the host itself, looked up while the tenant is in use. */
  readonly hostOwners?: HostOwnerSweep;
  readonly lifecycle: NamespaceLifecycle;
  /** RBAC: the tenant's store seen through the shared bootstrap policy, its policy and strategies. */
  readonly rbac: TenantRbac;
  /** The tenant's ValidatingAdmissionPolicies, enforced on its writes. */
  readonly policies: ValidatingPolicies;
  /** The tenant's admission plugins (src/admission/plugins.ts), run on every write a client makes. */
  readonly admission: AdmissionChain;
  /** The tenant's PriorityClasses and RuntimeClasses as host classes (when the tenant has a host). */
  readonly hostClasses?: HostClasses;
  private rows?: Map<string, ResourceInfo>;
  /** The shared built-in array `rows` was built from: a host discovery refresh rebuilds the table. */
  private builtinSource?: readonly ResourceInfo[];
  private custom: readonly ResourceInfo[] = [];
  private generation = 0;
  private crStrategies = new Map<string, { rv: string; strategy: FullStrategy }>();
  private readonly strategies: Record<string, FullStrategy>;

  constructor(readonly deps: TenantRuntimeDeps) {
    this.rbac = deps.rbac ?? new TenantRbac(() => this.deps.store());
    this.policies = new ValidatingPolicies({
      store: () => this.store,
      rowForKind: (apiVersion, kind) => this.rowForKind(apiVersion, kind),
    });
    if (deps.hostNamespaces)
      this.hostClasses = new HostClasses({
        host: deps.hostNamespaces.hostClient(),
        tenantUid: deps.uid,
        policy: () => deps.policyOf?.(deps.uid) ?? DEFAULT_POLICY,
        logger: deps.logger,
      });
    this.admission = admissionChain({
      store: () => this.store,
      policies: this.policies,
      policy: () => deps.policyOf?.(deps.uid) ?? DEFAULT_POLICY,
      tenantUid: deps.uid,
      rbac: () => this.rbac.policy(),
      classSync: this.hostClasses,
    });
    this.gc = new VirtualGarbageCollector(() => this.storageRows().map((info) => this.registry(info)));
    this.lifecycle = new NamespaceLifecycle(this, deps.hostNamespaces, deps.logger);
    if (deps.hostNamespaces)
      this.gc.hostDependents = this.hostOwned = this.hostDependents(deps.hostNamespaces);
    if (deps.hostNamespaces) this.hostOwners = this.hostOwnerSweep(deps.hostNamespaces);
    this.strategies = {
      ...this.rbac.strategies,
      ...admissionStrategies(),
      namespaces: {
        ...namespaceStrategy,
        afterWrite: (obj, old) => this.lifecycle.namespaceWritten(obj, old),
      },
      customresourcedefinitions: {
        ...crdStrategy,
        // The first DELETE adds the cleanup finalizer (apiextensions-apiserver's REST.Delete), not the create.
        holdForDeletion: (obj: KubeObject, now: string) => markCRDForDeletion(obj, now),
        afterWrite: (obj) => this.crdWritten(obj),
      },
    };
    for (const [group, resource, kind] of [
      ['scheduling.k8s.io', 'priorityclasses', 'PriorityClass'],
      ['node.k8s.io', 'runtimeclasses', 'RuntimeClass'],
    ] as const) {
      const key = `admission-${resource}`;
      const classes = this.hostClasses;
      if (classes && this.strategies[key])
        this.strategies[key] = {
          ...this.strategies[key],
          // Written or deleted: the host class follows (the store says which).
          afterWrite: (obj: KubeObject) => {
            const name = obj.metadata?.name ?? '';
            classes.written(kind, obj, !!this.store.get({ group, resource, namespace: '', name }));
          },
        };
    }
    const csr = 'admission-certificatesigningrequests';
    const signer = deps.clientCA && this.csrSigner(deps.clientCA);
    this.strategies[csr] = {
      ...csrStrategy(this.strategies[csr]!),
      ...(signer ? { afterWrite: (obj: KubeObject) => signer.written(obj) } : {}),
    };
    if (signer) setImmediate(() => this.resumeSigning(signer));
  }

  get tenant(): string {
    return this.deps.tenant;
  }

  get identity(): TenantIdentity {
    return { name: this.deps.tenant, uid: this.deps.uid };
  }

  get store(): TenantStore {
    return this.rbac.store;
  }

  /** Seeds a brand-new tenant: the four namespaces every cluster starts with. */
  async seed(): Promise<void> {
    const store = this.store;
    if (store.currentRV() !== 0) return;
    // Their host namespaces are created on first use, not now: an idle tenant costs the host nothing.
    this.seeding = true;
    try {
      await this.seedNamespaces();
    } finally {
      this.seeding = false;
    }
  }

  /** True while the default namespaces of a new tenant are being written. */
  seeding = false;

  private async seedNamespaces(): Promise<void> {
    const store = this.store;
    const info = this.row('', 'v1', 'namespaces')!;
    const reg = this.registry(info);
    const user = { username: 'system:kplex', groups: ['system:masters'] };
    for (const name of DEFAULT_NAMESPACES) {
      if (!store.get({ group: '', resource: 'namespaces', namespace: '', name })) {
        await reg.create(
          '',
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
          {
            user,
            warnings: [],
            fieldManager: 'kplex',
            dryRun: false,
            fieldValidation: 'Ignore',
            decodeErrors: [],
          },
        );
      }
    }
  }

  /** The served row of `kind` in `apiVersion` (group/version). */
  rowForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = apiVersion.slice(slash + 1);
    for (const r of this.table().values())
      if (r.group === group && r.version === version && r.kind === kind) return r;
    return undefined;
  }

  /** Whether objects of (the group of `apiVersion`, `kind`) live on the host: ownerReferences to them stay there. */
  isHostKind(apiVersion: string, kind: string): boolean {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    for (const r of this.table().values())
      if (r.group === group && r.kind === kind) return r.placement === 'host' || r.placement === 'host-view';
    return false;
  }

  private resumeSigning(signer: CsrSigner): void {
    try {
      signer.resume();
    } catch (err) {
      this.deps.logger.error({ err, tenant: this.deps.tenant }, 'resuming certificate signing failed');
    }
  }

  private csrSigner(clientCA: () => Promise<KeyPairPem>): CsrSigner {
    return new CsrSigner({
      registry: () => this.registry(this.row('certificates.k8s.io', 'v1', 'certificatesigningrequests')!),
      clientCA,
      logger: this.deps.logger,
    });
  }

  /** The garbage collector's host half: dependents of virtual owners among the tenant's host objects. */
  private hostOwnerSweep(hostNamespaces: HostNamespaces): HostOwnerSweep {
    const NS = { group: '', resource: 'namespaces', namespace: '' };
    return new HostOwnerSweep({
      tenant: this.tenant,
      // The tenant's own store (the RBAC overlay's shared defaults own nothing).
      store: () => this.deps.store(),
      host: hostNamespaces.hostClient(),
      logger: this.deps.logger,
      hostNamespaceOf: (ns) => {
        const o = this.store.get({ ...NS, name: ns })?.object;
        return o && !o.metadata?.deletionTimestamp ? hostNamespaces.recorded(this.store, ns) : undefined;
      },
      // An ownerReference may name a version the table does not serve: any version of the kind will do.
      rowOf: (apiVersion, kind) => {
        const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
        return (
          this.rowForKind(apiVersion, kind) ??
          [...this.table().values()].find((r) => r.group === group && r.kind === kind)
        );
      },
      hostOwnerDeleted: (uid, propagation) => this.gc.hostOwnerDeleted(uid, propagation),
    });
  }

  private hostDependents(hostNamespaces: HostNamespaces): HostDependents {
    const NS = { group: '', resource: 'namespaces', namespace: '' };
    const live = (ns: string): string | undefined => {
      // A terminating namespace's host namespace goes with everything in it.
      const o = this.store.get({ ...NS, name: ns })?.object;
      return o && !o.metadata?.deletionTimestamp ? hostNamespaces.recorded(this.store, ns) : undefined;
    };
    return new HostDependents({
      tenant: this.tenant,
      host: hostNamespaces.hostClient(),
      logger: this.deps.logger,
      rows: () => this.table().values(),
      hostNamespaces: (ns) =>
        (ns ? [ns] : this.store.list(NS).items.map((s) => s.key.name))
          .map(live)
          .filter((h): h is string => !!h),
      virtualExists: (uid) => this.store.keyOfUid(uid) !== undefined,
      released: (uid) => this.gc.ownerReleased(uid),
    });
  }

  /** All rows of this tenant's table (every served version). */
  table(): Map<string, ResourceInfo> {
    if (!this.rows || this.builtinSource !== builtinRows()) {
      const rows = new Map<string, ResourceInfo>();
      this.builtinSource = builtinRows();
      for (const r of this.builtinSource) rows.set(rowKey(r.group, r.version, r.resource), r);
      const custom: ResourceInfo[] = [];
      for (const crd of this.crds()) {
        if (!isEstablished(crd)) continue;
        for (const r of crdResourceInfos(crd)) {
          // A tenant's CRD may claim what the host has but refuses to tenants (e.g. a host CRD's group).
          if (
            rows.get(rowKey(r.group, r.version, r.resource))?.placement !== undefined &&
            rows.get(rowKey(r.group, r.version, r.resource))?.placement !== 'refused'
          )
            continue;
          rows.set(rowKey(r.group, r.version, r.resource), r);
          custom.push(r);
        }
      }
      this.rows = rows;
      this.custom = custom;
      this.generation++;
    }
    return this.rows;
  }

  /** The table as discovery and OpenAPI read it: shared built-in rows + this tenant's CRD rows. */
  discoveryTable(): DiscoveryTable {
    this.table();
    return {
      builtin: this.builtinSource ?? builtinRows(),
      custom: this.custom,
      generation: `${this.tenant}/${this.generation}`,
    };
  }

  /** The OpenAPI v3 schema of a CRD-backed row (for /openapi and kubectl explain). */
  schemaFor(row: ResourceInfo): Record<string, unknown> | undefined {
    const crd = this.store.get({
      group: CRD_GROUP,
      resource: 'customresourcedefinitions',
      namespace: '',
      name: `${row.resource}.${row.group}`,
    });
    const version = (crd?.object as unknown as CustomResourceDefinition | undefined)?.spec.versions.find(
      (v) => v.name === row.version,
    );
    return version?.schema?.openAPIV3Schema as Record<string, unknown> | undefined;
  }

  row(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.table().get(rowKey(group, version, resource));
  }

  /** One row per stored group/resource (the storage version). */
  storageRows(): ResourceInfo[] {
    return [...this.table().values()].filter((r) => r.storageVersion && r.placement === 'virtual');
  }

  crds(): CustomResourceDefinition[] {
    return this.store
      .list({ group: CRD_GROUP, resource: 'customresourcedefinitions' })
      .items.map((s) => s.object as unknown as CustomResourceDefinition);
  }

  strategy(info: ResourceInfo): FullStrategy {
    if (info.strategy === CUSTOM_RESOURCE_STRATEGY) {
      const crd = this.store.get({
        group: CRD_GROUP,
        resource: 'customresourcedefinitions',
        namespace: '',
        name: `${info.resource}.${info.group}`,
      });
      if (!crd) throw notFound({ group: info.group, resource: info.resource }, '');
      const cacheKey = `${info.group}/${info.resource}/${info.version}`;
      const cached = this.crStrategies.get(cacheKey);
      const rv = crd.object.metadata?.resourceVersion ?? '';
      if (cached?.rv === rv) return cached.strategy;
      const strategy = customResourceStrategy(
        crd.object as unknown as CustomResourceDefinition,
        info.version,
      );
      this.crStrategies.set(cacheKey, { rv, strategy });
      return strategy;
    }
    const s = info.strategy ? this.strategies[info.strategy] : undefined;
    if (!s) throw new Error(`no strategy for ${info.group}/${info.resource}`);
    return s;
  }

  registry(info: ResourceInfo): VirtualRegistry {
    return new VirtualRegistry({
      tenant: this.tenant,
      store: this.store,
      info,
      strategy: this.strategy(info),
      gc: this.gc,
    });
  }

  /** A CRD changed: the table changes; a CRD being deleted takes its objects with it. */
  private crdWritten(obj: KubeObject): void {
    this.rows = undefined;
    this.crStrategies.clear();
    const crd = obj as unknown as CustomResourceDefinition;
    if (obj.metadata?.deletionTimestamp && obj.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) {
      // After the current write has returned: remove every instance, then the finalizer.
      setImmediate(() => {
        try {
          this.removeCustomResources(crd);
        } catch (err) {
          this.deps.logger.error({ err, tenant: this.tenant, crd: obj.metadata?.name }, 'CRD cleanup failed');
        }
      });
    }
  }

  private removeCustomResources(crd: CustomResourceDefinition): void {
    const store = this.store;
    const group = crd.spec.group;
    const resource = crd.spec.names.plural;
    store.transaction(() => {
      for (const s of store.list({ group, resource }).items) store.delete(s.key);
      const key = {
        group: CRD_GROUP,
        resource: 'customresourcedefinitions',
        namespace: '',
        name: crd.metadata?.name ?? '',
      };
      const live = store.get(key);
      if (!live) return;
      const finalizers = (live.object.metadata?.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
      if (finalizers.length === 0) store.delete(key);
      else store.update(key, { ...live.object, metadata: { ...live.object.metadata, finalizers } });
    });
    this.rows = undefined;
  }
}

function isEstablished(crd: CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}
