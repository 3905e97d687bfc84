// The HTTP handler for every verb on a virtual resource (k8s.io/apiserver/pkg/endpoints/handlers
// over the generic registry): option decoding, bodies, negotiation, watches, errors as Status.
import { fieldErr, goSlice } from '../api/field-errors.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/object.js';
import { isObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import {
  type FieldError,
  type StatusError,
  badRequest,
  invalid,
  methodNotSupported,
  pageNotFound,
} from '../api/status.js';
import { hasProtobuf } from '../protobuf/index.js';
import { type ResourceInfo, groupVersion } from '../resources/types.js';
import { deleteCollection, deleteObject } from '../registry/delete.js';
import { list } from '../registry/list.js';
import type {
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PropagationPolicy,
  WriteOptions,
} from '../registry/options.js';
import { patch } from '../registry/patch.js';
import { type DeletionObserver, VirtualRegistry } from '../registry/registry.js';
import { getScale, updateScale } from '../registry/scale.js';
import { patchScale } from '../registry/scale-patch.js';
import type { FieldValidation, FullStrategy, UserInfo } from '../registry/strategy.js';
import type { TenantStore } from '../store/types.js';
import type { ObjectConverter } from '../registry/converter.js';
import { admissionAttributes, type Operation } from '../admission/attributes.js';
import type { AdmissionChain, AdmissionEnv } from '../admission/chain.js';
import { decodeBody, mediaType, readBody } from './body.js';
import { negotiateOutput } from './negotiate.js';
import { type OutputContext, writeResult } from './output.js';
import type { IncludeObject } from './table.js';
import { serveWatch } from './watch-stream.js';
import { streamable, writeListStream } from './list-stream.js';

export interface VirtualRequestContext {
  tenant: string;
  store: TenantStore;
  info: ResourceInfo;
  strategy: FullStrategy;
  requestInfo: RequestInfo;
  /** The URL's query, parsed once by the pipeline. */
  query: URLSearchParams;
  user: UserInfo;
  /** The tenant's garbage collector (VirtualGarbageCollector), when wired. */
  gc?: DeletionObserver;
  /** The tenant's admission chain, and what its plugins may read (host-backed params). */
  admission?: AdmissionChain;
  admissionEnv?: AdmissionEnv;
  /** The CRD's conversion webhook, when its strategy is Webhook. */
  converter?: ObjectConverter;
  /** `Warning` texts earlier stages of the pipeline collected for the response. */
  warnings?: string[];
}

function optionsError(kind: string, errs: FieldError[]): StatusError {
  return invalid({ group: 'meta.k8s.io', kind }, '', errs);
}

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${k}: ${v}`);
  return Number(v);
}

function boolParam(q: URLSearchParams, k: string): boolean | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  return v === '' || v === 'true' || v === '1';
}

function writeOptions(
  q: URLSearchParams,
  kind: string,
  user: UserInfo,
  ua: string | undefined,
  sub: string,
): WriteOptions {
  const errs: FieldError[] = [];
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) {
    errs.push(fieldErr.notSupported('dryRun', goSlice('string', dryRun), ['All']));
  }
  const fv = q.get('fieldValidation') || 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(fv)) {
    errs.push(fieldErr.notSupported('fieldValidation', fv, ['Ignore', 'Strict', 'Warn']));
  }
  const fm = q.get('fieldManager') ?? undefined;
  if (fm !== undefined && fm.length > 128) errs.push(fieldErr.tooLong('fieldManager', 128));
  if (errs.length) throw optionsError(kind, errs);
  return {
    user,
    userAgent: ua,
    dryRun: dryRun.length > 0,
    fieldManager: fm,
    fieldValidation: fv as FieldValidation,
    decodeErrors: [],
    warnings: [],
    subresource: sub || undefined,
  };
}

function listOptions(q: URLSearchParams): ListOptions {
  const sie = q.get('sendInitialEvents');
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: intParam(q, 'limit'),
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    watch: boolParam(q, 'watch'),
    allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks'),
    sendInitialEvents: sie === null ? undefined : sie === 'true' || sie === '1',
    timeoutSeconds: intParam(q, 'timeoutSeconds'),
  };
}

function objectBody(value: unknown): KubeObject {
  if (!isObject(value)) throw badRequest('the object provided is unrecognized (must be an object)');
  return value as KubeObject;
}

/** The body's apiVersion/kind must name this resource (or be absent). */
function checkTypeMeta(obj: KubeObject, info: ResourceInfo, sub: string): void {
  const gv = info.group ? `${info.group}/${info.version}` : info.version;
  const expectKind = sub === 'scale' ? 'Scale' : info.kind;
  const expectGV = sub === 'scale' ? 'autoscaling/v1' : gv;
  if (obj.apiVersion && obj.apiVersion !== expectGV) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectGV})`,
    );
  }
  if (obj.kind && obj.kind !== expectKind) {
    throw badRequest(
      `${obj.kind} in version "${String(obj.apiVersion ?? '')
        .split('/')
        .pop()}" cannot be handled as a ${expectKind}: no kind "${obj.kind}" is registered`,
    );
  }
}

function checkName(obj: KubeObject, name: string, namespace: string): void {
  const objName = obj.metadata?.name ?? '';
  if (objName !== name)
    throw badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  const objNs = obj.metadata?.namespace;
  if (namespace && objNs && objNs !== namespace) {
    throw badRequest(
      `the namespace of the object (${objNs}) does not match the namespace on the request (${namespace})`,
    );
  }
}

function deleteOptions(q: URLSearchParams, body: unknown, user: UserInfo): DeleteOptions {
  const b = isObject(body) ? body : {};
  const errs: FieldError[] = [];
  const dryRun = [...q.getAll('dryRun'), ...(Array.isArray(b['dryRun']) ? (b['dryRun'] as string[]) : [])];
  if (dryRun.some((d) => d !== 'All'))
    errs.push(fieldErr.notSupported('dryRun', goSlice('string', dryRun), ['All']));
  const pp = (q.get('propagationPolicy') ?? b['propagationPolicy']) as string | undefined;
  if (pp !== undefined && !['Orphan', 'Background', 'Foreground'].includes(pp)) {
    errs.push(fieldErr.notSupported('propagationPolicy', pp, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  const orphanQ = boolParam(q, 'orphanDependents');
  const orphan = orphanQ ?? (typeof b['orphanDependents'] === 'boolean' ? b['orphanDependents'] : undefined);
  if (orphan !== undefined && pp !== undefined) {
    errs.push(
      fieldErr.invalid(
        'propagationPolicy',
        pp,
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    );
  }
  if (errs.length) throw optionsError('DeleteOptions', errs);
  const pre = isObject(b['preconditions']) ? b['preconditions'] : undefined;
  return {
    user,
    dryRun: dryRun.length > 0,
    propagationPolicy: pp as PropagationPolicy | undefined,
    orphanDependents: orphan,
    gracePeriodSeconds:
      intParam(q, 'gracePeriodSeconds') ??
      (typeof b['gracePeriodSeconds'] === 'number' ? b['gracePeriodSeconds'] : undefined),
    preconditions: pre
      ? {
          uid: pre['uid'] as string | undefined,
          resourceVersion: pre['resourceVersion'] as string | undefined,
        }
      : undefined,
    warnings: [],
  };
}

/** The tenant's admission chain bound to one write of this request (the registry calls it with the objects). */
function admission(
  ctx: VirtualRequestContext,
  warnings: string[],
  dryRun: boolean,
  optionsKind: string,
  fieldManager?: string,
) {
  const { admission: chain } = ctx;
  if (!chain) return undefined;
  return async (
    operation: Operation,
    object: KubeObject | null,
    oldObject: KubeObject | null,
  ): Promise<boolean> => {
    const a = admissionAttributes({
      row: ctx.info,
      info: ctx.requestInfo,
      user: ctx.user,
      operation,
      object,
      oldObject,
      dryRun,
      fieldManager,
      optionsKind,
    });
    warnings.push(...(await chain.admit(a, ctx.admissionEnv)));
    return a.mutated === true; // by a tenant webhook: the registry validates the object again
  };
}

/** Serves one request on a virtual resource; a failure is thrown for the pipeline's error writer. */
export async function handleVirtualRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: VirtualRequestContext,
): Promise<void> {
  const ri = ctx.requestInfo;
  const q = ctx.query;
  const reg = new VirtualRegistry({
    tenant: ctx.tenant,
    store: ctx.store,
    info: ctx.info,
    strategy: ctx.strategy,
    gc: ctx.gc,
    converter: ctx.converter,
  });
  const sub = ri.subresource;
  if (sub && !ctx.info.subresources?.[sub as 'status' | 'scale' | 'finalize' | 'approval'])
    throw pageNotFound();
  // namespaces/finalize answers PUT only, as the apiserver's FinalizeREST.
  if (sub && !(sub === 'finalize' ? ['update'] : ['get', 'update', 'patch']).includes(ri.verb))
    throw methodNotSupported(reg.gr, ri.verb);
  const ns = ctx.info.namespaced ? ri.namespace : '';
  const out: OutputContext = {
    out: negotiateOutput(req.headers.accept, hasProtobuf(groupVersion(ctx.info), ctx.info.kind)),
    columns: ctx.strategy.printerColumns(),
    includeObject: (q.get('includeObject') as IncludeObject | null) ?? 'Metadata',
    warnings: [...(ctx.warnings ?? [])],
  };
  if (!['None', 'Metadata', 'Object'].includes(out.includeObject)) {
    throw badRequest(
      `includeObject: Unsupported value: "${out.includeObject}": supported values: "None", "Metadata", "Object"`,
    );
  }
  const ua = req.headers['user-agent'];
  const expect =
    sub === 'scale'
      ? { apiVersion: 'autoscaling/v1', kind: 'Scale' }
      : { apiVersion: groupVersion(ctx.info), kind: ctx.info.kind };
  const body = async (): Promise<{ value: unknown; duplicates: string[]; text: string }> =>
    decodeBody(await readBody(req), req.headers['content-type'], expect);
  switch (ri.verb) {
    case 'get': {
      const obj =
        sub === 'scale' ? await getScale(reg, ns, ri.name) : (await reg.served([reg.get(ns, ri.name)]))[0]!;
      return writeResult(res, 200, obj, false, out);
    }
    case 'list': {
      // Items stored in another version are converted in batches: no streaming of stored text.
      if (streamable(out) && !ctx.converter) return await writeListStream(res, reg, ns, listOptions(q), out);
      const l = list(reg, ns, listOptions(q));
      l.items = await reg.served(l.items);
      return writeResult(res, 200, l as unknown as KubeObject, true, out);
    }
    case 'watch': {
      const lo = { ...listOptions(q), watch: true };
      return serveWatch(req, res, reg, ns, ri.name || undefined, lo, out);
    }
    case 'create': {
      const wo = writeOptions(q, 'CreateOptions', ctx.user, ua, sub);
      wo.admit = admission(ctx, wo.warnings, wo.dryRun, 'CreateOptions', wo.fieldManager);
      const b = await body();
      const obj = objectBody(b.value);
      checkTypeMeta(obj, ctx.info, sub);
      wo.decodeErrors = b.duplicates;
      const created = await reg.create(ns, obj, wo);
      out.warnings.push(...wo.warnings);
      await ctx.store.durable(); // acknowledged once on disk (group commit)
      return writeResult(res, 201, created, false, out);
    }
    case 'update': {
      const wo = writeOptions(q, 'UpdateOptions', ctx.user, ua, sub);
      wo.admit = admission(ctx, wo.warnings, wo.dryRun, 'UpdateOptions', wo.fieldManager);
      const b = await body();
      const obj = objectBody(b.value);
      checkTypeMeta(obj, ctx.info, sub);
      checkName(obj, ri.name, ns);
      wo.decodeErrors = b.duplicates;
      if (sub === 'scale') {
        const scale = await updateScale(reg, ns, ri.name, obj, wo);
        out.warnings.push(...wo.warnings);
        await ctx.store.durable();
        return writeResult(res, 200, scale, false, out);
      }
      const r = await reg.update(ns, ri.name, obj, wo);
      out.warnings.push(...wo.warnings);
      await ctx.store.durable();
      return writeResult(res, r.created ? 201 : 200, r.object, false, out);
    }
    case 'patch': {
      const pt = mediaType(req.headers['content-type']);
      const wo: PatchOptions = {
        ...writeOptions(q, 'PatchOptions', ctx.user, ua, sub),
        force: boolParam(q, 'force'),
      };
      // A patch is admitted as the CREATE or UPDATE it turns into, with UpdateOptions (as the apiserver).
      wo.admit = admission(ctx, wo.warnings, wo.dryRun, 'UpdateOptions', wo.fieldManager);
      const b = await body();
      wo.decodeErrors = b.duplicates;
      if (sub === 'scale') {
        const scale = await patchScale(reg, ns, ri.name, pt, b.value, wo);
        out.warnings.push(...wo.warnings);
        await ctx.store.durable();
        return writeResult(res, 200, scale, false, out);
      }
      const r = await patch(reg, ns, ri.name, pt, b.value, b.text, wo);
      out.warnings.push(...wo.warnings);
      await ctx.store.durable();
      return writeResult(res, r.created ? 201 : 200, r.object, false, out);
    }
    case 'delete': {
      const raw = await readBody(req);
      const opts = deleteOptions(
        q,
        raw.length ? decodeBody(raw, req.headers['content-type']).value : undefined,
        ctx.user,
      );
      const admitDelete = admission(ctx, opts.warnings, opts.dryRun, 'DeleteOptions');
      if (admitDelete) await admitDelete('DELETE', null, (await reg.served([reg.get(ns, ri.name)]))[0]!);
      const r = deleteObject(reg, ns, ri.name, opts);
      out.warnings.push(...opts.warnings);
      await ctx.store.durable();
      const body = r.body as KubeObject;
      const shown = body.kind === ctx.info.kind ? (await reg.served([body]))[0]! : body;
      return writeResult(res, r.code, shown, false, out);
    }
    case 'deletecollection': {
      const raw = await readBody(req);
      const opts = deleteOptions(
        q,
        raw.length ? decodeBody(raw, req.headers['content-type']).value : undefined,
        ctx.user,
      );
      const admitDelete = admission(ctx, opts.warnings, opts.dryRun, 'DeleteOptions');
      // Each object is admitted as its own DELETE (names and namespaces decide whether a policy applies).
      if (admitDelete)
        for (const item of await reg.served(
          list(reg, ns, { ...listOptions(q), limit: undefined, continue: undefined }).items,
        ))
          await admitDelete('DELETE', null, item);
      const result = deleteCollection(reg, ns, listOptions(q), opts);
      await ctx.store.durable();
      const deleted = result as unknown as { items: KubeObject[] };
      deleted.items = await reg.served(deleted.items);
      return writeResult(res, 200, result, true, out);
    }
    default:
      throw methodNotSupported(reg.gr, ri.verb);
  }
}
