// exec / attach / portforward: the client's connection upgrade (SPDY/3.1 or WebSocket) forwarded
// to the host apiserver on a TLS connection of its own, with kplex's host credentials, then bytes
// copied both ways. The stream carries container I/O, which is not rewritten; on a WebSocket the
// host's error channel messages and close reasons are (`upgrade-stream.ts`).
//
// Request smuggling: kplex's host credential must only ever carry requests kplex built. So the
// host gets a request head kplex wrote (rewritten path, its own Host, Connection and credentials,
// only the client headers that negotiate the upgrade, no body framing), and NOT ONE client byte
// before the host answered 101: after a 101 the bytes are the stream protocol's frames; after any
// other answer the host connection is destroyed (never reused) and the answer goes back to the
// tenant as a rewritten Status on a connection that is then closed.
import type { IncomingMessage } from 'node:http';
import { type Duplex, PassThrough } from 'node:stream';
import tls from 'node:tls';
import { type Status, StatusError, badRequest, serviceUnavailable, statusFailure } from '../api/status.js';
import type { HostClient } from '../hostapi/host-client.js';
import { readAnswerBody, readAnswerHead } from './upgrade-answer.js';
import { upgradeSubresource, webSocketRewriter } from './upgrade-stream.js';

/** Set by the server on requests that arrived as an HTTP upgrade: the socket and its first bytes. */
export interface UpgradeRequest extends IncomingMessage {
  upgradeHead?: Buffer;
}

/**
 * Client headers that negotiate the upgrade; Host, Connection, credentials and framing are kplex's.
 * No Sec-WebSocket-Extensions: kplex reads the host's frames, which a compression extension would hide.
 */
const FORWARDED_HEADERS =
  /^(upgrade|sec-websocket-(key|version|protocol)|x-stream-protocol-version|user-agent)$/i;
/** After the host's side ended, how long the client gets to take the last bytes before both close. */
const DRAIN_MS = 10_000;
/** A field value as RFC 9110 allows it, without obs-text: visible ASCII, spaces and tabs. */
const FIELD_VALUE = /^[\x20-\x7e\t]*$/;
/** A path and query kplex built: percent-encoded, nothing that could end the request line. */
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;
const ANSWER_TIMEOUT_MS = 60_000;

export function isUpgrade(req: IncomingMessage): req is UpgradeRequest {
  return (req as UpgradeRequest).upgradeHead !== undefined;
}

/** The request head kplex sends the host for an upgrade; throws 400 for requests it will not forward. */
export function upgradeRequestHead(host: HostClient, req: IncomingMessage, pathAndQuery: string): string {
  const cl = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (cl !== undefined && !/^0+$/.test(cl)))
    throw badRequest('an upgrade request must not have a body');
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST')
    throw badRequest(`an upgrade request must be a GET or a POST, not ${method}`);
  const target = host.basePath + pathAndQuery;
  if (!REQUEST_TARGET.test(target))
    throw new Error(`refusing to send the host the request target ${JSON.stringify(target)}`);
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${new URL(host.origin).host}`, 'Connection: Upgrade'];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    if (!FORWARDED_HEADERS.test(name)) continue;
    if (!FIELD_VALUE.test(value)) throw badRequest(`invalid value of header ${JSON.stringify(name)}`);
    lines.push(`${name}: ${value}`);
  }
  const auth = host.headers()['authorization'];
  if (auth) lines.push(`Authorization: ${auth}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

function connect(host: HostClient): Promise<tls.TLSSocket> {
  const url = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      servername: /^[\d.]+$|^\[/.test(url.hostname) ? undefined : url.hostname,
      secureContext: host.secureContext,
      rejectUnauthorized: !host.conn.insecureSkipTLSVerify,
      ALPNProtocols: ['http/1.1'],
    });
    sock.once('secureConnect', () => {
      sock.off('error', reject);
      // Errors end the connection ('close'), which every stage below listens for; never a crash.
      sock.on('error', () => undefined);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** The host's refusal as the tenant's Status (its text rewritten to virtual names). */
function refusal(code: number, body: Buffer, rewriteText: (text: string) => string): StatusError {
  const text = rewriteText(body.toString('utf8'));
  try {
    const parsed = JSON.parse(text) as Partial<Status> | null;
    if (parsed?.kind === 'Status') return new StatusError({ ...(parsed as Status), code });
  } catch {
    // not JSON: the text becomes the message
  }
  return statusFailure(code, '', text.trim() || `the host answered the upgrade with ${code}`);
}

/**
 * Resolves when the spliced stream ends. Throws (before anything was written to the client) a
 * Status for a request it refuses or the host did not upgrade; the caller writes it and the server
 * closes the client connection.
 */
export async function proxyUpgrade(
  host: HostClient,
  req: UpgradeRequest,
  pathAndQuery: string,
  rewriteText: (text: string) => string = (t) => t,
): Promise<void> {
  const head = upgradeRequestHead(host, req, pathAndQuery);
  const upstream = await connect(host).catch(() => {
    throw serviceUnavailable('error dialing backend: the host apiserver is unreachable');
  });
  const client = req.socket as Duplex;
  const clientGone = (): void => void upstream.destroy();
  client.once('close', clientGone);
  let answer;
  try {
    upstream.write(head);
    answer = await readAnswerHead(upstream, ANSWER_TIMEOUT_MS);
    if (answer.status !== 101) {
      const body = await readAnswerBody(upstream, answer, ANSWER_TIMEOUT_MS);
      throw refusal(answer.status, body, rewriteText);
    }
  } catch (err) {
    upstream.destroy();
    throw err;
  } finally {
    client.off('close', clientGone);
  }
  await new Promise<void>((resolve) => {
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(drain);
      upstream.destroy();
      client.destroy();
      resolve();
    };
    let drain: NodeJS.Timeout | undefined;
    // The host's end of the stream ends the client's once everything before it was written (its
    // last frames are often the error and the close); a client that does not read is cut off.
    const hostEnded = (): void => {
      if (finished) return;
      drain ??= setTimeout(done, DRAIN_MS);
      if (!fromHost.writableEnded) fromHost.end();
    };
    const ws = /^websocket$/i.test(answer.headers.get('upgrade') ?? '');
    const fromHost = ws
      ? webSocketRewriter(
          upgradeSubresource(pathAndQuery),
          answer.headers.get('sec-websocket-protocol') ?? '',
          rewriteText,
        )
      : new PassThrough();
    fromHost.on('error', done);
    upstream.on('error', done).on('end', hostEnded).on('close', hostEnded);
    client.on('error', done).on('close', done).on('finish', done);
    client.write(answer.head);
    fromHost.pipe(client);
    // Bytes the host sent with its 101 are already stream frames.
    if (answer.rest.length) fromHost.write(answer.rest);
    upstream.pipe(fromHost, { end: false });
    // Bytes the client sent after its request head are stream frames now that the host upgraded.
    if (req.upgradeHead?.length) upstream.write(req.upgradeHead);
    client.pipe(upstream);
  });
}
