// Encoded documents and the writer that serves them. Compact JSON is kept as Buffer fragments so
// per-tenant documents can reuse the fragments of the shared built-in part; other encodings
// (pretty JSON, YAML: rare, humans with curl) are produced on demand from the document value.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import { stringify as toYAML } from 'yaml';
import type { Negotiated } from './negotiate.js';

export interface EncodedDocument {
  /** Compact JSON, as json.Encoder writes it (trailing newline), in fragments. */
  readonly parts: readonly Buffer[];
  readonly length: number;
  /** The document as a value, for pretty JSON and YAML. */
  value(): unknown;
}

export function encodeDocument(value: unknown): EncodedDocument {
  const buf = Buffer.from(JSON.stringify(value) + '\n');
  return { parts: [buf], length: buf.length, value: () => value };
}

export function documentFromParts(parts: Buffer[], value: () => unknown): EncodedDocument {
  return { parts, length: parts.reduce((n, p) => n + p.length, 0), value };
}

/** The apiserver gzips responses of at least this many bytes when the client accepts gzip. */
const GZIP_THRESHOLD = 128 * 1024;

/** Pretty output for ?pretty=true or the user agents the apiserver treats as a human's. */
export function wantsPretty(query: URLSearchParams, userAgent: string | undefined): boolean {
  const pretty = query.get('pretty');
  if (pretty) return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(pretty);
  const ua = userAgent ?? '';
  return ua.startsWith('curl') || ua.startsWith('Wget') || ua.startsWith('Mozilla/5.0');
}

function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const val = (v as Record<string, unknown>)[k];
      if (val !== undefined) out[k] = sortedDeep(val);
    }
    return out;
  }
  return v;
}

/** `negotiated.pretty`: asked by the Accept header, ?pretty or the user agent (wantsPretty). */
function bodyFor(doc: EncodedDocument, negotiated: Negotiated): readonly Buffer[] {
  if (negotiated.mediaType === 'application/yaml') return [Buffer.from(toYAML(sortedDeep(doc.value())))];
  if (negotiated.pretty) return [Buffer.from(JSON.stringify(doc.value(), null, 2))];
  return doc.parts;
}

const acceptsGzip = (req: IncomingMessage): boolean =>
  String(req.headers['accept-encoding'] ?? '')
    .split(',')
    .some((e) => e.split(';')[0]?.trim() === 'gzip');

export function writeDocument(
  req: IncomingMessage,
  res: ServerResponse,
  doc: EncodedDocument,
  negotiated: Negotiated,
  headers: Record<string, string | string[]>,
): void {
  const parts = bodyFor(doc, negotiated);
  const length = parts === doc.parts ? doc.length : parts.reduce((n, p) => n + p.length, 0);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (length >= GZIP_THRESHOLD && acceptsGzip(req)) {
    res.setHeader('Content-Encoding', 'gzip');
    const vary = res.getHeader('Vary');
    res.setHeader(
      'Vary',
      vary ? [...(Array.isArray(vary) ? vary : [String(vary)]), 'Accept-Encoding'] : 'Accept-Encoding',
    );
    res.writeHead(200);
    const gz = createGzip();
    gz.pipe(res);
    for (const p of parts) gz.write(p);
    gz.end();
    return;
  }
  res.setHeader('Content-Length', length);
  res.writeHead(200);
  for (const p of parts) res.write(p);
  res.end();
}

/** 406 as the apiserver writes it when no Accept clause can be served. */
export function writeNotAcceptable(res: ServerResponse, supported: readonly string[]): void {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `only the following media types are accepted: ${supported.join(', ')}`,
    reason: 'NotAcceptable',
    code: 406,
  };
  const body = Buffer.from(JSON.stringify(status) + '\n');
  res.writeHead(406, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}
