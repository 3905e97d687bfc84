// All discovery documents of one tenant, built from its table and cached. The built-in part is
// built once per built-in row array and shared by every tenant; a tenant with CRDs only adds the
// documents of its own groups and lists that splice shared JSON fragments with its own.
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../resources/types.js';
import {
  type APIVersionDiscovery,
  type DiscoveryVersion,
  builtinVersionDiscovery,
  customVersionDiscovery,
  discoveryListHead,
  groupDiscovery,
} from './aggregated.js';
import { type EncodedDocument, documentFromParts, encodeDocument } from './encoded.js';
import { apiGroup, apiGroupDocument, apiResourceList, builtinResources, customResources } from './legacy.js';
import {
  type DiscoveryTable,
  type GroupEntry,
  type GroupVersionRows,
  groupVersions,
  orderGroups,
} from './table.js';

export interface AggregatedDocument {
  /** Quoted-less ETag value: upper-case hex SHA-512 of the v2 document. */
  etag: string;
  byVersion: Record<DiscoveryVersion, EncodedDocument>;
}

export interface DiscoveryDocuments {
  /** `/api/v1`, undefined when the table has no core rows. */
  readonly coreResourceList: EncodedDocument | undefined;
  /** `/apis` */
  readonly groupList: EncodedDocument;
  /** `/apis/<group>` */
  group(name: string): EncodedDocument | undefined;
  /** `/apis/<group>/<version>` (or `v1` for `/api/v1`) */
  resourceList(groupVersion: string): EncodedDocument | undefined;
  /** Aggregated `/api` or `/apis`. */
  aggregated(root: 'api' | 'apis'): AggregatedDocument;
}

interface GroupVersionDocs {
  resourceList: EncodedDocument;
  discovery: APIVersionDiscovery;
}

/** Per-group pieces, cached for built-in groups. */
interface GroupPieces {
  document: EncodedDocument;
  legacyFragment: Buffer;
  aggregatedFragment: Buffer;
}

const COMMA = Buffer.from(',');
const LEGACY_HEAD = Buffer.from('{"kind":"APIGroupList","apiVersion":"v1","groups":[');
const LIST_TAIL = Buffer.from(']}\n');
const AGGREGATED_HEAD: Record<DiscoveryVersion, Buffer> = {
  v2: Buffer.from(discoveryListHead('v2')),
  v2beta1: Buffer.from(discoveryListHead('v2beta1')),
};

function gvDocs(gv: GroupVersionRows, allRows: readonly ResourceInfo[]): GroupVersionDocs {
  const list = gv.custom ? customResources(gv, allRows) : builtinResources(gv, allRows);
  const discovery = gv.custom ? customVersionDiscovery(gv, list) : builtinVersionDiscovery(gv, list);
  return { resourceList: encodeDocument(apiResourceList(gv.groupVersion, list)), discovery };
}

function groupPieces(group: GroupEntry, docs: ReadonlyMap<string, GroupVersionDocs>): GroupPieces {
  const legacy = apiGroup(group);
  const item = groupDiscovery(
    group.name,
    group.versions.map((v) => (docs.get(v.groupVersion) as GroupVersionDocs).discovery),
  );
  return {
    document: encodeDocument(apiGroupDocument(legacy)),
    legacyFragment: Buffer.from(JSON.stringify(legacy)),
    aggregatedFragment: Buffer.from(JSON.stringify(item)),
  };
}

function joinList(head: Buffer, fragments: readonly Buffer[]): Buffer[] {
  const parts: Buffer[] = [head];
  fragments.forEach((f, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(f);
  });
  parts.push(LIST_TAIL);
  return parts;
}

const parseParts = (parts: readonly Buffer[]) => (): unknown => JSON.parse(Buffer.concat(parts).toString());

function aggregatedDocument(fragments: readonly Buffer[]): AggregatedDocument {
  const byVersion = {} as Record<DiscoveryVersion, EncodedDocument>;
  for (const v of ['v2', 'v2beta1'] as const) {
    const parts = joinList(AGGREGATED_HEAD[v], fragments);
    byVersion[v] = documentFromParts(parts, parseParts(parts));
  }
  const hash = createHash('sha512');
  for (const p of byVersion.v2.parts) hash.update(p);
  return { etag: hash.digest('hex').toUpperCase(), byVersion };
}

class Documents implements DiscoveryDocuments {
  private readonly aggregatedCache = new Map<'api' | 'apis', AggregatedDocument>();
  private groupListCache: EncodedDocument | undefined;

  constructor(
    private readonly gvs: ReadonlyMap<string, GroupVersionDocs>,
    /** Groups other than core, in /apis order. */
    private readonly groups: readonly GroupEntry[],
    private readonly pieces: ReadonlyMap<string, GroupPieces>,
  ) {}

  get coreResourceList(): EncodedDocument | undefined {
    return this.gvs.get('v1')?.resourceList;
  }

  get groupList(): EncodedDocument {
    if (!this.groupListCache) {
      const parts = joinList(
        LEGACY_HEAD,
        this.groups.map((g) => this.piece(g).legacyFragment),
      );
      this.groupListCache = documentFromParts(parts, parseParts(parts));
    }
    return this.groupListCache;
  }

  group(name: string): EncodedDocument | undefined {
    return name ? this.pieces.get(name)?.document : undefined;
  }

  resourceList(groupVersion: string): EncodedDocument | undefined {
    return this.gvs.get(groupVersion)?.resourceList;
  }

  aggregated(root: 'api' | 'apis'): AggregatedDocument {
    let doc = this.aggregatedCache.get(root);
    if (!doc) {
      const core = this.gvs.get('v1');
      const fragments =
        root === 'api'
          ? core
            ? [Buffer.from(JSON.stringify(groupDiscovery('', [core.discovery])))]
            : []
          : this.groups.map((g) => this.piece(g).aggregatedFragment);
      doc = aggregatedDocument(fragments);
      this.aggregatedCache.set(root, doc);
    }
    return doc;
  }

  private piece(g: GroupEntry): GroupPieces {
    return this.pieces.get(g.name) as GroupPieces;
  }
}

interface SharedBuiltin {
  gvs: GroupVersionRows[];
  docs: Map<string, GroupVersionDocs>;
  pieces: Map<string, GroupPieces>;
  documents: Documents;
}

const sharedByBuiltin = new WeakMap<readonly ResourceInfo[], SharedBuiltin>();
const byCustom = new WeakMap<
  readonly ResourceInfo[],
  { generation: number | string; documents: Documents }
>();

function shared(builtin: readonly ResourceInfo[]): SharedBuiltin {
  let s = sharedByBuiltin.get(builtin);
  if (!s) {
    const gvs = groupVersions(builtin, false);
    const docs = new Map(gvs.map((gv) => [gv.groupVersion, gvDocs(gv, builtin)]));
    const groups = orderGroups(gvs.filter((gv) => gv.group !== ''));
    const pieces = new Map(groups.map((g) => [g.name, groupPieces(g, docs)]));
    s = { gvs, docs, pieces, documents: new Documents(docs, groups, pieces) };
    sharedByBuiltin.set(builtin, s);
  }
  return s;
}

/** The tenant's discovery documents, from cache when its table has not changed. */
export function discoveryDocuments(table: DiscoveryTable): DiscoveryDocuments {
  const base = shared(table.builtin);
  if (table.custom.length === 0) return base.documents;
  const cached = byCustom.get(table.custom);
  if (cached && cached.generation === table.generation) return cached.documents;

  const customGVs = groupVersions(table.custom, true);
  const docs = new Map(base.docs);
  for (const gv of customGVs) docs.set(gv.groupVersion, gvDocs(gv, table.custom));
  const builtinGroups = new Set(base.pieces.keys());
  // A CRD can not share a group with a built-in group/version of the same name; if it shares
  // only the group, that group's pieces are rebuilt for this tenant.
  const groups = orderGroups([...base.gvs, ...customGVs].filter((gv) => gv.group !== ''));
  const touched = new Set(customGVs.map((gv) => gv.group));
  const pieces = new Map<string, GroupPieces>();
  for (const g of groups) {
    pieces.set(
      g.name,
      builtinGroups.has(g.name) && !touched.has(g.name)
        ? (base.pieces.get(g.name) as GroupPieces)
        : groupPieces(g, docs),
    );
  }
  const documents = new Documents(docs, groups, pieces);
  byCustom.set(table.custom, { generation: table.generation, documents });
  return documents;
}
