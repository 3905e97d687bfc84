// The headers of a request forwarded to the replica that owns its tenant. The client's own headers
// go along (its bearer token and impersonation headers are judged again by the owner); hop-by-hop
// headers do not. The client's TLS certificate, which cannot be forwarded as TLS, travels in
// FORWARDED_CERT_HEADER, believed by the owner only on a replica's connection (peer-trust.ts).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export const FORWARDED_CERT_HEADER = 'kplex-forwarded-client-cert';
/** The forwarding replica: an owner that no longer owns the shard answers 503 instead of forwarding again. */
export const FORWARDED_BY_HEADER = 'kplex-forwarded-by';
export const FORWARDING_HEADERS = [FORWARDED_CERT_HEADER, FORWARDED_BY_HEADER];

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

/** Headers for the owner: the client's minus hop-by-hop ones (and minus any forged forwarding ones). */
export function forwardedRequestHeaders(
  headers: IncomingHttpHeaders,
  forwarder: string,
  clientCert: Buffer | undefined,
  upgrade: boolean,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const hop = new Set(HOP_BY_HOP);
  for (const token of String(headers.connection ?? '').split(',')) hop.add(token.trim().toLowerCase());
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || hop.has(k) || FORWARDING_HEADERS.includes(k)) continue;
    out[k] = v;
  }
  if (upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = headers.upgrade ?? '';
  }
  out[FORWARDED_BY_HEADER] = forwarder;
  if (clientCert) out[FORWARDED_CERT_HEADER] = clientCert.toString('base64');
  return out;
}

/** The owner's response headers for the client, minus hop-by-hop ones. */
export function forwardedResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

/** The raw head of the owner's 101, written to the client's socket as the owner sent it. */
export function switchingHead(statusMessage: string | undefined, rawHeaders: string[]): string {
  const lines = [`HTTP/1.1 101 ${statusMessage || 'Switching Protocols'}`];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}
