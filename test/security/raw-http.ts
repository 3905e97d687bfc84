// Byte-level HTTP/1.1 for the smuggling and malformed-input attacks: requests written as the
// attacker writes them (in one TLS write or several), and every response that came back, parsed,
// so a test can tell one answer from a smuggled second one and see whether kplex closed.
import tls from 'node:tls';
import { expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Exchange {
  /** Everything received, as latin1 text. */
  text: string;
  /** The responses in order (interim 100s left out); a 101's body is the stream data that followed. */
  responses: RawResponse[];
  /** Whether kplex closed the connection (rather than the read time running out). */
  closed: boolean;
}

/**
 * Writes `parts` on a fresh TLS connection (one write each, `gapMs` apart) and collects what comes
 * back until kplex closes the connection or `readMs` passes.
 */
export function exchange(
  url: string,
  parts: (string | Buffer)[],
  opts: { gapMs?: number; readMs?: number } = {},
): Promise<Exchange> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const sock = tls.connect(
      { host: u.hostname, port: Number(u.port), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
      () => {
        void (async () => {
          for (const p of parts) {
            if (sock.destroyed) return;
            sock.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
            if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
          }
        })();
      },
    );
    let done = false;
    const finish = (byServer: boolean): void => {
      if (done) return;
      done = true;
      closed = byServer;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, responses: parseResponses(text), closed });
    };
    const timer = setTimeout(() => finish(false), opts.readMs ?? 5_000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

/** Splits a byte stream into HTTP/1.1 responses (Content-Length, chunked, or to the end). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = text.slice(at, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) break;
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    at = end + 4;
    if (status === 100) continue;
    let body: string;
    if (status === 101 || (headers['content-length'] === undefined && !headers['transfer-encoding'])) {
      body = text.slice(at);
      at = text.length;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      body = '';
      for (;;) {
        const eol = text.indexOf('\r\n', at);
        if (eol < 0) break;
        const size = parseInt(text.slice(at, eol), 16);
        at = eol + 2;
        if (!size) {
          at += 2;
          break;
        }
        body += text.slice(at, at + size);
        at += size + 2;
      }
    } else {
      const n = Number(headers['content-length']);
      body = text.slice(at, at + n);
      at += n;
    }
    out.push({ status, headers, body });
  }
  return out;
}

/** The request head of a raw request: request line, headers, blank line. */
export function head(requestLine: string, headers: (string | undefined)[]): string {
  return [requestLine, ...headers.filter((h) => h !== undefined)].join('\r\n') + '\r\n\r\n';
}

/** A complete raw request with a JSON body and its exact Content-Length. */
export function jsonRequest(method: string, path: string, body: unknown, headers: string[] = []): string {
  const text = JSON.stringify(body);
  return (
    head(`${method} ${path} HTTP/1.1`, [
      'Host: x',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(text)}`,
      ...headers,
    ]) + text
  );
}

/** What an attacker smuggles: a read of kplex's signing keys and a ConfigMap in the host's kube-system. */
export function smuggled(configMap: string, authorization?: string): string {
  const auth = authorization ? [`Authorization: ${authorization}`] : [];
  return (
    head('GET /api/v1/namespaces/kplex-system/secrets HTTP/1.1', ['Host: x', ...auth]) +
    jsonRequest(
      'POST',
      '/api/v1/namespaces/kube-system/configmaps',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMap }, data: { k: 'smuggled' } },
      auth,
    )
  );
}

/** What the host's kplex-system holds: no response an attacker gets may contain any of it. */
export async function hostSecrets(hostApi: HostClient): Promise<string[]> {
  const r = await hostApi.request<{ items: { metadata: { name: string }; data?: Record<string, string> }[] }>(
    'GET',
    '/api/v1/namespaces/kplex-system/secrets',
  );
  expect(r.status).toBe(200);
  const found: string[] = ['kplex-system', 'SecretList'];
  for (const s of r.body.items) {
    found.push(s.metadata.name);
    for (const v of Object.values(s.data ?? {})) if (v.length >= 16) found.push(v.slice(0, 40));
  }
  return found;
}

/** The safe outcome of a smuggling attempt, asserted on the host and on the attacker's bytes. */
export async function expectNothingSmuggled(
  hostApi: HostClient,
  x: Exchange,
  configMap: string,
  secrets: string[],
): Promise<void> {
  for (const s of secrets) expect(x.text, `the attacker got ${s}`).not.toContain(s);
  const cm = await hostApi.request('GET', `/api/v1/namespaces/kube-system/configmaps/${configMap}`);
  expect(cm.status, `smuggled ConfigMap ${configMap} exists on the host`).toBe(404);
  for (const r of x.responses) expect(r.status).toBeLessThan(500);
}
