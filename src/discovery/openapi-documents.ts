// The OpenAPI documents of one tenant: v3 per group/version (+ the index with ?hash= URLs) and
// the v2 document. Built-in group/versions are rendered once per built-in row array and shared;
// a tenant adds its CRD group/versions, and its v2 document splices shared JSON fragments.
import { createHash } from 'node:crypto';
import { openAPIv2Protobuf } from './openapi-v2-proto.js';
import v3Roots from './builtin-openapi/v3-roots.json' with { type: 'json' };
import type { ResourceInfo } from '../resources/types.js';
import {
  builtinDefinitionFor,
  builtinSchemaV2,
  builtinSchemaV3,
  referencedDefinitions,
} from './builtin-schemas.js';
import { type SchemaFor, crdDefinitionName, crdDefinitions } from './crd-openapi.js';
import { type DefinitionNamer, groupVersionPaths } from './openapi-operations.js';
import { BEARER_TOKEN, type OpenAPIVersion, renderPathItem } from './openapi-render.js';
import type { JSONObject } from './schema-v2.js';
import { type DiscoveryTable, type GroupVersionRows, groupVersions } from './table.js';

export interface OpenAPIOptions {
  /** info.version of the documents (the server's gitVersion). */
  version?: string;
}

export interface ServedDocument {
  parts: readonly Buffer[];
  length: number;
  /** Upper-case hex SHA-512 of the body (kube-openapi computeETag). */
  etag: string;
  lastModified: Date;
}

export interface OpenAPIDocuments {
  /** `/openapi/v3` */
  index(): ServedDocument;
  /** `/openapi/v3/<api/v1 | apis/group/version>` */
  v3(path: string): ServedDocument | undefined;
  /** `/openapi/v2` */
  v2(): ServedDocument;
  /** The v2 document as gnostic protobuf (openapi-v2-proto.ts). */
  v2Protobuf(): ServedDocument;
}

const DEFAULT_VERSION = 'v1.32.5';
const CRD_INFO = { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' };

function served(parts: Buffer[]): ServedDocument {
  const hash = createHash('sha512');
  for (const p of parts) hash.update(p);
  return {
    parts,
    length: parts.reduce((n, p) => n + p.length, 0),
    etag: hash.digest('hex').toUpperCase(),
    lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
  };
}

const gvPath = (gv: GroupVersionRows): string =>
  gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;

/** Paths and definitions of one group/version, rendered, with the closure of referenced definitions. */
interface RenderedGroupVersion {
  paths: Map<string, JSONObject>;
  definitions: Map<string, JSONObject>;
}

function render(
  gv: GroupVersionRows,
  v: OpenAPIVersion,
  schemaFor: SchemaFor | undefined,
): RenderedGroupVersion {
  const own: Record<string, JSONObject> = {};
  let namer: DefinitionNamer = builtinDefinitionFor;
  if (gv.custom) {
    for (const row of gv.rows) Object.assign(own, crdDefinitions(row, schemaFor?.(row), v));
    namer = (group, version, kind) => {
      const name = crdDefinitionName(group, version, kind);
      return own[name] ? name : undefined;
    };
  }
  const paths = new Map<string, JSONObject>();
  for (const item of groupVersionPaths(gv, namer).sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  )) {
    paths.set(item.path, renderPathItem(v, item));
  }
  const lookup = (name: string): JSONObject | undefined =>
    own[name] ?? (v === 'v3' ? builtinSchemaV3(name) : builtinSchemaV2(name));
  const definitions = new Map<string, JSONObject>();
  for (const name of [...referencedDefinitions([...paths.values()], lookup)].sort()) {
    const def = lookup(name);
    if (def) definitions.set(name, def);
  }
  return { paths, definitions };
}

function v3Document(gv: GroupVersionRows, rendered: RenderedGroupVersion, version: string): ServedDocument {
  const doc = {
    components: { schemas: Object.fromEntries(rendered.definitions), securitySchemes: BEARER_TOKEN },
    info: gv.custom ? CRD_INFO : { title: 'Kubernetes', version },
    openapi: '3.0.0',
    paths: Object.fromEntries(rendered.paths),
  };
  return served([Buffer.from(JSON.stringify(doc))]);
}

/** Sorted `"key":value` fragments of a JSON object, for splicing. */
type Fragments = [string, Buffer][];
const fragment = (key: string, value: unknown): Buffer =>
  Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`);

function mergeSorted(a: Fragments, b: Fragments): Fragments {
  const out: Fragments = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x[0] < y[0])) {
      out.push(x as [string, Buffer]);
      i++;
    } else if (x === undefined || y[0] < x[0]) {
      out.push(y);
      j++;
    } else {
      out.push(x); // same name: the shared (built-in) fragment wins
      i++;
      j++;
    }
  }
  return out;
}

function v2Document(paths: Fragments, definitions: Fragments, version: string): ServedDocument {
  const parts: Buffer[] = [Buffer.from('{"definitions":{')];
  const join = (frags: Fragments): void =>
    frags.forEach(([, f], i) => {
      if (i > 0) parts.push(Buffer.from(','));
      parts.push(f);
    });
  join(definitions);
  parts.push(Buffer.from(`},"info":${JSON.stringify({ title: 'Kubernetes', version })},"paths":{`));
  join(paths);
  parts.push(
    Buffer.from(
      `},"security":[{"BearerToken":[]}],"securityDefinitions":${JSON.stringify(BEARER_TOKEN)},"swagger":"2.0"}`,
    ),
  );
  return served(parts);
}

interface V2Parts {
  paths: Fragments;
  definitions: Fragments;
}

function v2Parts(gvs: readonly GroupVersionRows[], schemaFor: SchemaFor | undefined): V2Parts {
  const paths = new Map<string, Buffer>();
  const definitions = new Map<string, Buffer>();
  for (const gv of gvs) {
    const r = render(gv, 'v2', schemaFor);
    for (const [k, v] of r.paths) paths.set(k, fragment(k, v));
    for (const [k, v] of r.definitions) if (!definitions.has(k)) definitions.set(k, fragment(k, v));
  }
  const sorted = (m: Map<string, Buffer>): Fragments =>
    [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { paths: sorted(paths), definitions: sorted(definitions) };
}

class Documents implements OpenAPIDocuments {
  private indexDoc: ServedDocument | undefined;
  private v2Doc: ServedDocument | undefined;
  private v2Proto: ServedDocument | undefined;

  constructor(
    private readonly v3Docs: ReadonlyMap<string, ServedDocument>,
    private readonly buildV2: () => ServedDocument,
  ) {}

  index(): ServedDocument {
    if (!this.indexDoc) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const key of [...this.v3Docs.keys()].sort()) {
        paths[key] = {
          serverRelativeURL: `/openapi/v3/${key}?hash=${(this.v3Docs.get(key) as ServedDocument).etag}`,
        };
      }
      this.indexDoc = served([Buffer.from(JSON.stringify({ paths }))]);
    }
    return this.indexDoc;
  }

  v3(path: string): ServedDocument | undefined {
    return this.v3Docs.get(path);
  }

  v2(): ServedDocument {
    return (this.v2Doc ??= this.buildV2());
  }

  v2Protobuf(): ServedDocument {
    return (this.v2Proto ??= served([
      Buffer.from(openAPIv2Protobuf(JSON.parse(Buffer.concat(this.v2().parts).toString('utf8')))),
    ]));
  }
}

interface Shared {
  v3: Map<string, ServedDocument>;
  v2Parts: () => V2Parts;
  documents: Documents;
}

const sharedByBuiltin = new WeakMap<readonly ResourceInfo[], Map<string, Shared>>();
const byCustom = new WeakMap<readonly ResourceInfo[], { key: string; documents: Documents }>();

function shared(builtin: readonly ResourceInfo[], version: string): Shared {
  let byVersion = sharedByBuiltin.get(builtin);
  if (!byVersion) sharedByBuiltin.set(builtin, (byVersion = new Map()));
  let s = byVersion.get(version);
  if (!s) {
    const gvs = groupVersions(builtin, false);
    const v3 = new Map(gvs.map((gv) => [gvPath(gv), v3Document(gv, render(gv, 'v3', undefined), version)]));
    // The documents of the discovery paths, as the apiserver lists them (its groups that are served).
    const groups = new Set(gvs.map((gv) => `apis/${gv.group}`));
    for (const [path, doc] of Object.entries(v3Roots as Record<string, JSONObject>))
      if (!path.startsWith('apis/') || groups.has(path))
        v3.set(path, served([Buffer.from(JSON.stringify(doc))]));
    let parts: V2Parts | undefined;
    const v2Parts_ = (): V2Parts => (parts ??= v2Parts(gvs, undefined));
    s = {
      v3,
      v2Parts: v2Parts_,
      documents: new Documents(v3, () => v2Document(v2Parts_().paths, v2Parts_().definitions, version)),
    };
    byVersion.set(version, s);
  }
  return s;
}

/** The tenant's OpenAPI documents, from cache when its table has not changed. */
export function openAPIDocuments(
  table: DiscoveryTable,
  schemaFor: SchemaFor,
  opts: OpenAPIOptions = {},
): OpenAPIDocuments {
  const version = opts.version ?? DEFAULT_VERSION;
  const base = shared(table.builtin, version);
  if (table.custom.length === 0) return base.documents;
  const key = `${version}\u0000${String(table.generation)}`;
  const cached = byCustom.get(table.custom);
  if (cached && cached.key === key) return cached.documents;

  const customGVs = groupVersions(table.custom, true);
  const v3 = new Map(base.v3);
  for (const gv of customGVs) v3.set(gvPath(gv), v3Document(gv, render(gv, 'v3', schemaFor), version));
  const documents = new Documents(v3, () => {
    const b = base.v2Parts();
    const c = v2Parts(customGVs, schemaFor);
    return v2Document(mergeSorted(b.paths, c.paths), mergeSorted(b.definitions, c.definitions), version);
  });
  byCustom.set(table.custom, { key, documents });
  return documents;
}
