// The host's answer to an upgrade request, read off kplex's own TLS connection: the response head,
// and for anything but 101 the body (Content-Length, chunked, or up to the close), bounded in size
// and time so a slow or huge answer cannot hold the tenant's request or kplex's memory.
import type { Duplex } from 'node:stream';

export interface HostAnswer {
  status: number;
  /** Status line and headers up to and including the blank line, as the host sent them. */
  head: Buffer;
  /** Lower-cased header names; repeated headers joined with ', '. */
  headers: Map<string, string>;
  /** Bytes the host sent after the head (stream data after a 101, body bytes otherwise). */
  rest: Buffer;
}

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 1024 * 1024;

/** Collects data until `done` says the bytes so far are enough, the stream ends, or time runs out. */
function collect(
  sock: Duplex,
  start: Buffer,
  timeoutMs: number,
  done: (buf: Buffer) => boolean,
): Promise<{ buf: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    let buf = start;
    const finish = (ended: boolean): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      sock.off('error', onEnd);
      sock.pause();
      resolve({ buf, ended });
    };
    const onData = (c: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      if (done(buf)) finish(false);
    };
    const onEnd = (): void => finish(true);
    const timer = setTimeout(() => finish(true), timeoutMs);
    if (done(buf)) return finish(false);
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
    sock.once('error', onEnd);
    sock.resume();
  });
}

/** Reads the response head; throws when the host closed, stalled or sent something that is not HTTP/1.1. */
export async function readAnswerHead(sock: Duplex, timeoutMs: number): Promise<HostAnswer> {
  const { buf } = await collect(
    sock,
    Buffer.alloc(0),
    timeoutMs,
    (b) => b.indexOf('\r\n\r\n') >= 0 || b.length > MAX_HEAD,
  );
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('the host closed the connection without an answer to the upgrade');
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!m) throw new Error('the host answered the upgrade with a malformed status line');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { status: Number(m[1]), head: buf.subarray(0, end + 4), headers, rest: buf.subarray(end + 4) };
}

/** A chunked body once its last chunk arrived, else undefined. */
export function dechunk(buf: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(buf.subarray(at, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) return Buffer.concat(parts); // malformed: what came so far
    if (size === 0) return Buffer.concat(parts);
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** The body of a non-101 answer (at most 1 MiB; a cut-off body is returned as far as it came). */
export async function readAnswerBody(sock: Duplex, a: HostAnswer, timeoutMs: number): Promise<Buffer> {
  const chunked = /\bchunked\b/i.test(a.headers.get('transfer-encoding') ?? '');
  const length = Number(a.headers.get('content-length') ?? NaN);
  const complete = (b: Buffer): boolean =>
    b.length > MAX_BODY ||
    (chunked ? dechunk(b) !== undefined : Number.isInteger(length) && b.length >= length);
  const { buf } = await collect(sock, a.rest, timeoutMs, complete);
  if (chunked) return dechunk(buf) ?? Buffer.alloc(0);
  const body = Number.isInteger(length) ? buf.subarray(0, length) : buf;
  return body.subarray(0, MAX_BODY);
}
