// Raw access for the bodies/selectors/leaks attacks: every byte an attacker receives (headers and
// body) is kept, with what it sent itself blanked (the apiserver echoes bad input back, which is
// not a leak), and scanned for names of the host: host namespace names, other tenants' names,
// kplex's own `kplex-` host names.
import { expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';

export interface Raw {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
  /** The same as `json` (for expectStatus). */
  body: unknown;
}

/** Strings the attacker sent (path segments, body strings), longest first. */
function echoesOf(path: string, body?: string): string[] {
  const sent = new Set<string>();
  const add = (v: string): void => void (v.length >= 4 && sent.add(v));
  add(path);
  for (const v of decodeURIComponent(path).split(/[/?&=,!()]/)) add(v);
  if (body) {
    try {
      JSON.stringify(JSON.parse(body), (_k, v: unknown) => (typeof v === 'string' && add(v), v));
    } catch {
      add(body);
    }
  }
  return [...sent].sort((x, y) => y.length - x.length);
}

export function withoutEchoes(text: string, path: string, body?: string): string {
  let out = text;
  for (const v of echoesOf(path, body)) {
    out = out.split(v).join('<sent>');
    out = out.split(JSON.stringify(v).slice(1, -1)).join('<sent>');
  }
  return out;
}

/** An attacker's client that records everything it receives. */
export class Attacker {
  readonly seen: string[] = [];

  constructor(readonly api: HostClient) {}

  async raw(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; accept?: string; readMs?: number } = {},
  ): Promise<Raw> {
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    const ac = new AbortController();
    const timer = opts.readMs ? setTimeout(() => ac.abort(), opts.readMs) : undefined;
    const res = await this.api.dispatcher.request({
      origin: this.api.origin,
      path: this.api.basePath + path,
      method: method as 'GET',
      headers: this.api.headers({
        accept: opts.accept ?? 'application/json',
        ...(body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
      }),
      body,
      signal: ac.signal,
    });
    let text = '';
    try {
      for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
    } catch {
      // a watch cut by readMs
    }
    clearTimeout(timer);
    this.seen.push(withoutEchoes(JSON.stringify(res.headers) + '\n' + text, path, body));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, text, headers: res.headers, json, body: json };
  }

  /** Records output the attacker got another way (kubectl). */
  record(text: string, ...sent: string[]): void {
    let out = text;
    for (const s of sent) out = withoutEchoes(out, s);
    this.seen.push(out);
  }
}

/** The scan: none of `forbidden` (host names, other tenants) appears in anything the attacker received. */
export function expectNoLeak(attacker: Attacker, forbidden: (string | RegExp)[]): void {
  const all = attacker.seen.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const f of forbidden) {
    if (typeof f === 'string') {
      const at = all.indexOf(f);
      expect(at, `leaked ${f}: ...${all.slice(Math.max(0, at - 200), at + 200)}...`).toBe(-1);
    } else {
      const m = f.exec(all);
      expect(
        m,
        `leaked ${String(f)}: ...${m ? all.slice(Math.max(0, m.index - 200), m.index + 200) : ''}...`,
      ).toBeNull();
    }
  }
}

/** The host namespace backing a tenant's virtual namespace (read with the host admin's client). */
export async function hostNamespaceOf(
  hostApi: HostClient,
  tenant: string,
  ns: string,
): Promise<string | undefined> {
  const r = await hostApi.request<{ items: { metadata: { name: string } }[] }>(
    'GET',
    `/api/v1/namespaces?labelSelector=${encodeURIComponent(`kplex.io/tenant=${tenant},kplex.io/namespace=${ns}`)}`,
  );
  return r.body.items[0]?.metadata.name;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
