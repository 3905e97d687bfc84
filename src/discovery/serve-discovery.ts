// HTTP handler for /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>. /api and /apis
// answer aggregated discovery when the Accept header asks for it (wrapper.go), legacy otherwise.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGGREGATED_GROUP, AGGREGATED_KIND, type DiscoveryVersion } from './aggregated.js';
import { type DiscoveryDocuments, discoveryDocuments } from './discovery-documents.js';
import {
  type EncodedDocument,
  encodeDocument,
  wantsPretty,
  writeDocument,
  writeNotAcceptable,
} from './encoded.js';
import { apiVersions } from './legacy.js';
import {
  DISCOVERY_MEDIA_TYPES,
  type Negotiated,
  type TargetKind,
  negotiate,
  noConversion,
} from './negotiate.js';
import type { DiscoveryTable } from './table.js';

export interface DiscoveryOptions {
  /** The request path below the tenant prefix (`/apis/apps`). */
  path: string;
  /** The request's query, parsed once by the pipeline. */
  query: URLSearchParams;
  /** `host:port` published in /api's serverAddressByClientCIDRs; defaults to the connection's local address. */
  serverAddress?: string;
}

const isAggregated = (t: TargetKind | undefined): boolean =>
  t !== undefined &&
  t.group === AGGREGATED_GROUP &&
  (t.version === 'v2' || t.version === 'v2beta1') &&
  t.kind === AGGREGATED_KIND;

/** Legacy responses carry the generic apiserver's default cache policy. */
const LEGACY_HEADERS = { 'Cache-Control': 'no-cache, private' };

/** Answers discovery requests; returns false (writing nothing) for paths it does not serve. */
export function serveDiscovery(
  req: IncomingMessage,
  res: ServerResponse,
  table: DiscoveryTable,
  opts: DiscoveryOptions,
): boolean {
  if (req.method !== 'GET') return false;
  let path = opts.path;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.split('/').slice(1);
  const [root, group, version, ...rest] = segments;
  if (rest.length > 0 || (root !== 'api' && root !== 'apis')) return false;
  const docs = discoveryDocuments(table);
  const pretty = wantsPretty(opts.query, req.headers['user-agent']);

  if (root === 'api') {
    if (group === undefined) return serveRoot(req, res, pretty, docs, 'api', () => coreVersions(req, opts));
    if (version !== undefined || group !== 'v1') return false;
    return serveLegacy(req, res, pretty, docs.coreResourceList);
  }
  if (group === undefined) return serveRoot(req, res, pretty, docs, 'apis', () => docs.groupList);
  if (version === undefined) return serveLegacy(req, res, pretty, docs.group(group));
  return serveLegacy(req, res, pretty, docs.resourceList(`${group}/${version}`));
}

function coreVersions(req: IncomingMessage, opts: DiscoveryOptions): EncodedDocument {
  const address = opts.serverAddress ?? localAddress(req);
  return encodeDocument(apiVersions([{ clientCIDR: '0.0.0.0/0', serverAddress: address }]));
}

function localAddress(req: IncomingMessage): string {
  const { localAddress: ip = '', localPort } = req.socket;
  const host = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return host.includes(':') ? `[${host}]:${localPort}` : `${host}:${localPort}`;
}

function serveRoot(
  req: IncomingMessage,
  res: ServerResponse,
  pretty: boolean,
  docs: DiscoveryDocuments,
  root: 'api' | 'apis',
  legacy: () => EncodedDocument,
): boolean {
  const accept = req.headers.accept;
  const aggregated = negotiate(accept, isAggregated);
  if (aggregated?.convert) {
    serveAggregated(req, res, docs, root, { ...aggregated, pretty: aggregated.pretty || pretty });
    return true;
  }
  return serveLegacy(req, res, pretty, legacy());
}

function serveLegacy(
  req: IncomingMessage,
  res: ServerResponse,
  pretty: boolean,
  doc: EncodedDocument | undefined,
): boolean {
  if (!doc) return false;
  const negotiated = negotiate(req.headers.accept, noConversion);
  if (!negotiated) {
    writeNotAcceptable(res, DISCOVERY_MEDIA_TYPES);
    return true;
  }
  writeDocument(
    req,
    res,
    doc,
    { ...negotiated, pretty: negotiated.pretty || pretty },
    { ...LEGACY_HEADERS, 'Content-Type': negotiated.mediaType },
  );
  return true;
}

function serveAggregated(
  req: IncomingMessage,
  res: ServerResponse,
  docs: DiscoveryDocuments,
  root: 'api' | 'apis',
  negotiated: Negotiated,
): void {
  const target = negotiated.convert as TargetKind;
  const doc = docs.aggregated(root);
  const quoted = JSON.stringify(doc.etag);
  res.setHeader('ETag', quoted);
  res.setHeader('Vary', 'Accept');
  res.setHeader('Cache-Control', 'public');
  if (req.headers['if-none-match'] === quoted) {
    res.writeHead(304);
    res.end();
    return;
  }
  const version = target.version as DiscoveryVersion;
  const contentType = `${negotiated.mediaType};g=${target.group};v=${target.version};as=${target.kind}`;
  writeDocument(req, res, doc.byVersion[version], negotiated, { 'Content-Type': contentType });
}
