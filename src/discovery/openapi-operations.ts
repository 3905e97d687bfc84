// The REST operations of one group/version as OpenAPI documents them, in a form neutral to
// OpenAPI v2 and v3 (openapi-render.ts prints both). Built-ins follow the apiserver's installer
// naming (listCoreV1NamespacedConfigMap, tag core_v1); CRDs the CRD OpenAPI builder's.
import type { ResourceInfo } from '../resources/types.js';
import { servedSubresources } from './builtin-subresources.js';
import { builtinDefinitionFor, DELETE_OPTIONS, PATCH, STATUS } from './builtin-schemas.js';
import type { GroupVersionKind } from './aggregated.js';
import type { GroupVersionRows } from './table.js';

export type Action = 'list' | 'post' | 'deletecollection' | 'get' | 'put' | 'patch' | 'delete';
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Response {
  code: string;
  description: string;
  definition?: string;
}

export interface Operation {
  method: Method;
  action: Action;
  operationId: string;
  description: string;
  tag: string;
  gvk: GroupVersionKind;
  query: string[];
  body?: { definition: string; required: boolean };
  consumes: string[];
  produces: string[];
  responses: Response[];
}

export interface PathItem {
  path: string;
  pathParams: { name: string; description: string }[];
  operations: Operation[];
}

/** Names the definitions of a group/version's kinds (built-in catalog, or the CRD naming). */
export type DefinitionNamer = (group: string, version: string, kind: string) => string | undefined;

const QUERY: Record<Action, string[]> = {
  get: [],
  list: [
    'allowWatchBookmarks',
    'continue',
    'fieldSelector',
    'labelSelector',
    'limit',
    'resourceVersion',
    'resourceVersionMatch',
    'sendInitialEvents',
    'timeoutSeconds',
    'watch',
  ],
  post: ['dryRun', 'fieldManager', 'fieldValidation'],
  put: ['dryRun', 'fieldManager', 'fieldValidation'],
  patch: ['dryRun', 'fieldManager', 'fieldValidation', 'force'],
  delete: [
    'dryRun',
    'gracePeriodSeconds',
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'orphanDependents',
    'propagationPolicy',
  ],
  deletecollection: [
    'continue',
    'dryRun',
    'fieldSelector',
    'gracePeriodSeconds',
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'labelSelector',
    'limit',
    'orphanDependents',
    'propagationPolicy',
    'resourceVersion',
    'resourceVersionMatch',
    'sendInitialEvents',
    'timeoutSeconds',
  ],
};

/** Per source: media types and description wording (installer vs CRD builder). */
interface Style {
  produces: string[];
  consumes: string[];
  patchConsumes: string[];
  listWording: string;
}
const BUILTIN_STYLE: Style = {
  produces: [
    'application/json',
    'application/yaml',
    'application/vnd.kubernetes.protobuf',
    'application/cbor',
  ],
  consumes: ['*/*'],
  patchConsumes: [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
    'application/apply-patch+yaml',
    'application/apply-patch+cbor',
  ],
  listWording: 'list or watch objects of kind',
};
const CUSTOM_STYLE: Style = {
  produces: ['application/json', 'application/yaml'],
  consumes: ['application/json', 'application/yaml'],
  patchConsumes: [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/apply-patch+yaml',
  ],
  listWording: 'list objects of kind',
};

const title = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** `rbac.authorization.k8s.io` -> `RbacAuthorization`; core -> `Core`; CRD groups keep every part. */
function groupTitle(group: string): string {
  if (!group) return 'Core';
  const trimmed = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  return trimmed.split('.').map(title).join('');
}

const article = (kind: string): string => (/^[AEIOU]/.test(kind) ? 'an' : 'a');

export function groupVersionTag(group: string, version: string): string {
  const g = groupTitle(group);
  return `${g[0]!.toLowerCase()}${g.slice(1)}_${version}`;
}

function subresourceKinds(
  gv: GroupVersionRows,
  row: ResourceInfo,
): { name: string; gvk: GroupVersionKind; verbs: string[] }[] {
  if (gv.custom) {
    const out: { name: string; gvk: GroupVersionKind; verbs: string[] }[] = [];
    if (row.subresources?.status)
      out.push({
        name: 'status',
        gvk: { group: gv.group, version: gv.version, kind: row.kind },
        verbs: ['get', 'patch', 'update'],
      });
    if (row.subresources?.scale)
      out.push({
        name: 'scale',
        gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      });
    return out;
  }
  // Connect-style subresources (exec, attach, proxy, log...) take options, not objects: not documented here.
  return servedSubresources(gv.groupVersion, row)
    .filter((s) => !s.kind.endsWith('Options') && s.name !== 'log')
    .map((s) => ({
      name: s.name,
      gvk: { group: s.group ?? gv.group, version: s.version ?? gv.version, kind: s.kind },
      verbs: s.verbs,
    }));
}

/** All path items of one group/version (unsorted). */
export function groupVersionPaths(gv: GroupVersionRows, defName: DefinitionNamer): PathItem[] {
  const style = gv.custom ? CUSTOM_STYLE : BUILTIN_STYLE;
  const prefix = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
  const idPrefix = `${groupTitle(gv.group)}${title(gv.version)}`;
  const tag = groupVersionTag(gv.group, gv.version);
  const items: PathItem[] = [];

  for (const row of gv.rows) {
    const kindDef = defName(gv.group, gv.version, row.kind);
    const listDef = defName(gv.group, gv.version, row.listKind);
    if (!kindDef) continue;
    const gvk = { group: gv.group, version: gv.version, kind: row.kind };
    const ns = row.namespaced ? 'Namespaced' : '';
    const collection = row.namespaced
      ? `${prefix}/namespaces/{namespace}/${row.resource}`
      : `${prefix}/${row.resource}`;
    const nsParam = row.namespaced
      ? [{ name: 'namespace', description: 'object name and auth scope, such as for teams and projects' }]
      : [];
    const nameParam = { name: 'name', description: `name of the ${row.kind}` };
    const op = (
      method: Method,
      action: Action,
      id: string,
      description: string,
      o: Partial<Operation> = {},
    ): Operation => ({
      method,
      action,
      operationId: `${id}`,
      description,
      tag,
      gvk,
      query: QUERY[action],
      consumes: [],
      produces: style.produces,
      responses: [],
      ...o,
    });
    const verbs = new Set(row.verbs);
    const ok = (definition: string | undefined, ...codes: [string, string][]): Response[] => [
      { code: '200', description: 'OK', definition },
      ...codes.map(([code, description]) => ({ code, description, definition })),
      { code: '401', description: 'Unauthorized' },
    ];

    const collectionOps: Operation[] = [];
    if (verbs.has('list') && listDef) {
      collectionOps.push(
        op('get', 'list', `list${idPrefix}${ns}${row.kind}`, `${style.listWording} ${row.kind}`, {
          responses: ok(listDef),
        }),
      );
    }
    if (verbs.has('create')) {
      collectionOps.push(
        op('post', 'post', `create${idPrefix}${ns}${row.kind}`, `create ${article(row.kind)} ${row.kind}`, {
          body: { definition: kindDef, required: true },
          consumes: style.consumes,
          responses: ok(kindDef, ['201', 'Created'], ['202', 'Accepted']),
        }),
      );
    }
    if (verbs.has('deletecollection')) {
      collectionOps.push(
        op(
          'delete',
          'deletecollection',
          `delete${idPrefix}Collection${ns}${row.kind}`,
          `delete collection of ${row.kind}`,
          {
            body: { definition: DELETE_OPTIONS, required: false },
            consumes: style.consumes,
            responses: ok(STATUS),
          },
        ),
      );
    }
    if (collectionOps.length > 0)
      items.push({ path: collection, pathParams: nsParam, operations: collectionOps });

    const itemOps: Operation[] = [];
    if (verbs.has('get'))
      itemOps.push(
        op('get', 'get', `read${idPrefix}${ns}${row.kind}`, `read the specified ${row.kind}`, {
          responses: ok(kindDef),
        }),
      );
    if (verbs.has('update')) {
      itemOps.push(
        op('put', 'put', `replace${idPrefix}${ns}${row.kind}`, `replace the specified ${row.kind}`, {
          body: { definition: kindDef, required: true },
          consumes: style.consumes,
          responses: ok(kindDef, ['201', 'Created']),
        }),
      );
    }
    if (verbs.has('patch')) {
      itemOps.push(
        op(
          'patch',
          'patch',
          `patch${idPrefix}${ns}${row.kind}`,
          `partially update the specified ${row.kind}`,
          {
            body: { definition: PATCH, required: true },
            consumes: style.patchConsumes,
            responses: ok(kindDef, ['201', 'Created']),
          },
        ),
      );
    }
    if (verbs.has('delete')) {
      itemOps.push(
        op(
          'delete',
          'delete',
          `delete${idPrefix}${ns}${row.kind}`,
          `delete ${article(row.kind)} ${row.kind}`,
          {
            body: { definition: DELETE_OPTIONS, required: false },
            consumes: style.consumes,
            responses: ok(STATUS, ['202', 'Accepted']),
          },
        ),
      );
    }
    if (itemOps.length > 0)
      items.push({ path: `${collection}/{name}`, pathParams: [nameParam, ...nsParam], operations: itemOps });

    for (const sub of subresourceKinds(gv, row)) {
      const subDef =
        sub.gvk.group === gv.group && sub.gvk.version === gv.version
          ? defName(sub.gvk.group, sub.gvk.version, sub.gvk.kind)
          : builtinDefinitionFor(sub.gvk.group, sub.gvk.version, sub.gvk.kind);
      if (!subDef) continue;
      const subOp = (
        method: Method,
        action: Action,
        verb: string,
        description: string,
        o: Partial<Operation>,
      ): Operation =>
        op(method, action, `${verb}${idPrefix}${ns}${row.kind}${title(sub.name)}`, description, {
          gvk: sub.gvk,
          ...o,
        });
      const ops: Operation[] = [];
      const subVerbs = new Set(sub.verbs);
      const of = `${sub.name} of the specified ${row.kind}`;
      if (subVerbs.has('get')) ops.push(subOp('get', 'get', 'read', `read ${of}`, { responses: ok(subDef) }));
      if (subVerbs.has('update')) {
        ops.push(
          subOp('put', 'put', 'replace', `replace ${of}`, {
            body: { definition: subDef, required: true },
            consumes: style.consumes,
            responses: ok(subDef, ['201', 'Created']),
          }),
        );
      }
      if (subVerbs.has('patch')) {
        ops.push(
          subOp('patch', 'patch', 'patch', `partially update ${of}`, {
            body: { definition: PATCH, required: true },
            consumes: style.patchConsumes,
            responses: ok(subDef, ['201', 'Created']),
          }),
        );
      }
      if (subVerbs.has('create')) {
        ops.push(
          subOp('post', 'post', 'create', `create ${sub.name} of ${article(row.kind)} ${row.kind}`, {
            body: { definition: subDef, required: true },
            consumes: style.consumes,
            responses: ok(subDef, ['201', 'Created'], ['202', 'Accepted']),
          }),
        );
      }
      if (ops.length > 0)
        items.push({
          path: `${collection}/{name}/${sub.name}`,
          pathParams: [nameParam, ...nsParam],
          operations: ops,
        });
    }

    if (row.namespaced && verbs.has('list') && listDef) {
      items.push({
        path: `${prefix}/${row.resource}`,
        pathParams: [],
        operations: [
          op(
            'get',
            'list',
            `list${idPrefix}${row.kind}ForAllNamespaces`,
            `${style.listWording} ${row.kind}`,
            { responses: ok(listDef) },
          ),
        ],
      });
    }
  }
  return items;
}
