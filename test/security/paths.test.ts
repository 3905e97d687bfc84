// Paths and tenant resolution: tenant A's credentials aimed, through the URL, at tenant B, at the
// host, and at the kinds a tenant never reaches. Each attack asserts the safe outcome: a Status
// refusal or A's own (empty) view, never B's or the host's objects, never a 5xx.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { attack, expectStatus, rawTLS, securityEnv, type SecurityEnv } from './harness.js';

const A = 'sec-paths-a';
const B = 'sec-paths-b';

/** A request with A's credential on an exact path (no tenant prefix added). */
async function at(a: HostClient, method: string, path: string, body?: unknown, authorization?: string) {
  const res = await a.dispatcher.request({
    origin: a.origin,
    path,
    method: method as 'GET',
    headers: {
      ...a.headers({ accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }),
      ...(authorization ? { authorization } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.statusCode, body: parsed, text };
}

describe('security: paths and tenant resolution', () => {
  let s: SecurityEnv;
  let a: HostClient;
  const pa = `/clusters/${A}`;

  beforeAll(async () => {
    s = await securityEnv([A, B]);
    a = s.api[A]!;
    kubectlOk(s.kc[B]!, ['create', 'configmap', 'secret-of-b', '--from-literal=k=b-data']);
    kubectlOk(s.kc[B]!, ['create', 'namespace', 'b-only']);
  });
  afterAll(async () => s?.close());

  const noBData = (text: string) => {
    expect(text).not.toContain('b-data');
    expect(text).not.toContain('secret-of-b');
    expect(text).not.toContain(`${B}-`);
  };

  attack('paths', "A's token on B's path is 401", async () => {
    const r = await at(a, 'GET', `/clusters/${B}/api/v1/namespaces/default/configmaps`);
    expectStatus(r, 401, 'Unauthorized');
    noBData(r.text);
  });

  attack('paths', "A's token on B's path with an encoded tenant segment is 401", async () => {
    for (const seg of [encodeURIComponent(B), B.toUpperCase(), `${B}%00`, `${A}%2F..%2F${B}`, `${B}%20`]) {
      const r = await at(a, 'GET', `/clusters/${seg}/api/v1/namespaces/default/configmaps`);
      expect([400, 401, 404]).toContain(r.status);
      noBData(r.text);
    }
  });

  attack('paths', 'dot segments after the tenant prefix are refused, not resolved', async () => {
    for (const p of [
      `${pa}/../${B}/api/v1/namespaces/default/configmaps`,
      `${pa}/%2e%2e/${B}/api/v1/configmaps`,
    ]) {
      const r = await rawTLS(
        s.env.kplex.url,
        `GET ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: ${a.headers().authorization}\r\nConnection: close\r\n\r\n`,
      );
      expect(r).toMatch(/^HTTP\/1\.1 (400|404)/);
      noBData(r);
    }
  });

  attack('paths', "a host namespace name used as a virtual namespace shows nothing of B's", async () => {
    for (const ns of [`${B}-default`, `${A}-default`, 'kplex-system', 'kube-system']) {
      const r = await at(a, 'GET', `${pa}/api/v1/namespaces/${ns}/configmaps`);
      if (r.status === 200) {
        const items = (r.body as { items: { metadata: { name: string } }[] }).items;
        expect(items.map((i) => i.metadata.name).filter((n) => n !== 'kube-root-ca.crt')).toEqual([]);
      } else expect(r.status).toBe(404);
      noBData(r.text);
    }
  });

  attack('paths', "the tenant's kube-system is its own: no host secrets", async () => {
    const r = await at(a, 'GET', `${pa}/api/v1/namespaces/kube-system/secrets`);
    expect(r.status).toBe(200);
    expect((r.body as { items: unknown[] }).items).toEqual([]);
  });

  attack('paths', "kplex-system (where kplex's signing keys live) is not reachable", async () => {
    for (const p of [
      '/api/v1/namespaces/kplex-system/secrets',
      '/api/v1/namespaces/kplex-system/secrets/kplex-token-signing-keys',
    ]) {
      // A 404 may echo the name asked for; what must never come back is an object of the host's.
      const r = await at(a, 'GET', pa + p);
      expect(r.text).not.toContain('"data"');
      expect(r.text).not.toContain('"d":');
      if (r.status === 200) expect((r.body as { items?: unknown[] }).items ?? []).toEqual([]);
    }
  });

  attack('paths', 'Tenant objects (tenants.kplex.io) are not served to a tenant', async () => {
    for (const p of ['/apis/kplex.io/v1alpha1/tenants', `/apis/kplex.io/v1alpha1/tenants/${B}`]) {
      const r = await at(a, 'GET', pa + p);
      expectStatus(r, 404, 'NotFound');
    }
    const disc = await at(a, 'GET', `${pa}/apis`);
    expect(disc.text).not.toContain('kplex.io');
  });

  attack('paths', 'node, pod and service proxies are refused (host network reach)', async () => {
    const nodes = await at(a, 'GET', `${pa}/api/v1/nodes`);
    const node = (nodes.body as { items: { metadata: { name: string } }[] }).items[0]?.metadata.name ?? 'n';
    for (const p of [
      `/api/v1/nodes/${node}/proxy/configz`,
      `/api/v1/nodes/${node}:10250/proxy/pods`,
      '/api/v1/namespaces/default/pods/x/proxy/',
      '/api/v1/namespaces/default/services/https:kubernetes:443/proxy/api',
      '/api/v1/proxy/namespaces/default/services/kubernetes/',
    ]) {
      const r = await at(a, 'GET', pa + p);
      expect([403, 404], `${p}: ${r.text}`).toContain(r.status);
    }
  });

  attack('paths', 'an unprefixed path with a forged tenant claim is 401', async () => {
    const forged = [
      'eyJhbGciOiJub25lIn0',
      Buffer.from(JSON.stringify({ 'kplex.io/tenant': B })).toString('base64url'),
      '',
    ].join('.');
    const r = await at(a, 'GET', '/api/v1/namespaces/default/configmaps', undefined, `Bearer ${forged}`);
    expectStatus(r, 401, 'Unauthorized');
  });

  attack('paths', "an unprefixed path with A's token reaches A only", async () => {
    const r = await at(a, 'GET', '/api/v1/namespaces/default/configmaps');
    expect(r.status).toBe(200);
    noBData(r.text);
  });

  attack('paths', 'an empty or case-changed prefix does not route to another tenant', async () => {
    for (const p of [`/clusters//api/v1/namespaces`, `/Clusters/${B}/api/v1/namespaces`, `/clusters/${B}`]) {
      const r = await at(a, 'GET', p);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      noBData(r.text);
    }
  });

  attack('paths', "B's namespace name in A's path is A's (missing) namespace", async () => {
    const r = await at(a, 'GET', `${pa}/api/v1/namespaces/b-only`);
    expectStatus(r, 404, 'NotFound');
    const list = await at(a, 'GET', `${pa}/api/v1/namespaces/b-only/configmaps`);
    if (list.status === 200) expect((list.body as { items: unknown[] }).items).toEqual([]);
    noBData(list.text);
  });

  attack('paths', 'the watch path prefix cannot reach another namespace or tenant', async () => {
    for (const p of [
      `/api/v1/watch/namespaces/${B}-default/configmaps`,
      '/api/v1/watch/namespaces/..%2Fkube-system/secrets',
    ]) {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 1500);
      const res = await a.dispatcher
        .request({ origin: a.origin, path: pa + p, method: 'GET', headers: a.headers(), signal: ac.signal })
        .catch(() => undefined);
      let text = '';
      try {
        if (res) for await (const c of res.body) text += String(c);
      } catch {
        // cut by the timer
      }
      noBData(text);
    }
  });

  attack('paths', 'very long and odd paths are refused with 4xx, never a crash', async () => {
    // The apiserver lists a missing namespace as empty: a long one is the same, never a 5xx.
    const long = await at(a, 'GET', `${pa}/api/v1/namespaces/${'x'.repeat(4000)}/configmaps`);
    expect([200, 400, 404, 414]).toContain(long.status);
    if (long.status === 200) expect((long.body as { items: unknown[] }).items).toEqual([]);
    for (const p of [
      `${pa}/api/v1/namespaces/default/configmaps/${'%'.repeat(3)}`,
      `${pa}/api/v1/namespaces/default/configmaps/%C0%AE%C0%AE`,
      `${pa}/apis/${'g.'.repeat(200)}x/v1/things`,
      `${pa}/api/v1/namespaces/default/configmaps/a%00b`,
    ]) {
      const r = await at(a, 'GET', p);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
    }
    expect((await at(a, 'GET', `${pa}/version`)).status).toBe(200);
  });
});
