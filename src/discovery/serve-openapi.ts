// HTTP handler for /openapi/v2, /openapi/v3 and /openapi/v3/<group-version path>, negotiating as
// kube-openapi's handlers do: v2 as JSON or gnostic protobuf (client-go's OpenAPISchema() asks for
// protobuf only), v3 as JSON (a request for its protobuf form only gets 406).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import type { SchemaFor } from './crd-openapi.js';
import { parseAccept } from './negotiate.js';
import { type OpenAPIOptions, type ServedDocument, openAPIDocuments } from './openapi-documents.js';
import type { DiscoveryTable } from './table.js';

export interface ServeOpenAPIOptions extends OpenAPIOptions {
  /** The request path below the tenant prefix. */
  path: string;
  /** The request's query, parsed once by the pipeline. */
  query: URLSearchParams;
  /** What precedes `path` in the URL (`/clusters/<tenant>`): the redirect to a current hash keeps it. */
  prefix: string;
}

/** gziphandler's default minimum size. */
const GZIP_MIN_SIZE = 1400;

/** Does some Accept clause (in preference order) pick JSON before any type we cannot encode? */
function acceptsJSON(header: string | undefined): boolean {
  for (const c of parseAccept(header || '*/*')) {
    if ((c.type === 'application' || c.type === '*') && (c.subType === 'json' || c.subType === '*'))
      return true;
  }
  return false;
}

const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const V2_SUBTYPES: readonly [string, 'json' | 'protobuf'][] = [
  ['json', 'json'],
  ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
  ['com.github.proto-openapi.spec.v2.v1.0+protobuf', 'protobuf'],
];

/** The v2 form the first Accept clause that names one picks (kube-openapi's handler order). */
function v2Form(header: string | undefined): 'json' | 'protobuf' | undefined {
  for (const c of parseAccept(header || '*/*')) {
    if (c.type !== 'application' && c.type !== '*') continue;
    for (const [sub, form] of V2_SUBTYPES) if (c.subType === sub || c.subType === '*') return form;
  }
  return undefined;
}

function etagMatches(header: string | undefined, quoted: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === quoted || tag === `W/${quoted}`;
  });
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  doc: ServedDocument,
  headers: Record<string, string>,
): void {
  const quoted = JSON.stringify(doc.etag);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Etag', quoted);
  res.setHeader('Last-Modified', doc.lastModified.toUTCString());
  if (etagMatches(req.headers['if-none-match'], quoted)) {
    res.writeHead(304);
    res.end();
    return;
  }
  const gzip =
    doc.length >= GZIP_MIN_SIZE &&
    String(req.headers['accept-encoding'] ?? '')
      .split(',')
      .some((e) => e.split(';')[0]?.trim() === 'gzip');
  if (gzip) {
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', [headers['Vary'] ?? 'Accept', 'Accept-Encoding'].filter(Boolean));
    res.writeHead(200);
    const gz = createGzip();
    gz.pipe(res);
    for (const p of doc.parts) gz.write(p);
    gz.end();
    return;
  }
  res.setHeader('Content-Length', doc.length);
  res.writeHead(200);
  for (const p of doc.parts) res.write(p);
  res.end();
}

const notAcceptable = (res: ServerResponse): void => {
  res.writeHead(406, { Vary: 'Accept' });
  res.end();
};

/** Answers OpenAPI requests; returns false (writing nothing) for paths it does not serve. */
export function serveOpenAPI(
  req: IncomingMessage,
  res: ServerResponse,
  table: DiscoveryTable,
  schemaFor: SchemaFor,
  opts: ServeOpenAPIOptions,
): boolean {
  if (req.method !== 'GET') return false;
  const path = opts.path;
  if (path !== '/openapi/v2' && path !== '/openapi/v3' && !path.startsWith('/openapi/v3/')) return false;
  const docs = openAPIDocuments(table, schemaFor, opts);

  if (path === '/openapi/v2') {
    const form = v2Form(req.headers.accept);
    if (!form) notAcceptable(res);
    else
      send(req, res, form === 'json' ? docs.v2() : docs.v2Protobuf(), {
        Vary: 'Accept',
        'Content-Type': form === 'json' ? 'application/json' : V2_PROTOBUF,
        'Cache-Control': 'no-cache, private',
      });
    return true;
  }
  if (path === '/openapi/v3') {
    send(req, res, docs.index(), {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
    });
    return true;
  }
  const gv = path.slice('/openapi/v3/'.length);
  const doc = docs.v3(gv);
  if (!doc) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('404 page not found\n');
    return true;
  }
  if (!acceptsJSON(req.headers.accept)) {
    notAcceptable(res);
    return true;
  }
  const hash = opts.query.get('hash');
  if (hash && hash !== doc.etag) {
    // A stale hash: send the client to the current document (handler3's 301).
    res.writeHead(301, { Location: `${opts.prefix}/openapi/v3/${gv}?hash=${doc.etag}`, Vary: 'Accept' });
    res.end();
    return true;
  }
  const headers: Record<string, string> = { Vary: 'Accept', 'Content-Type': 'application/json' };
  if (hash) {
    headers['Cache-Control'] = 'public, immutable';
    headers['Expires'] = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  } else {
    headers['Cache-Control'] = 'no-cache, private';
  }
  send(req, res, doc, headers);
  return true;
}
