// Isolation of host-backed resources: tenant A tries to reach tenant B's and the host's objects
// through paths (encoded slashes, `..`, other namespaces), bodies, selectors, watches, forged
// continue tokens and subresources. Every attempt is refused or answers with A's objects only, and
// no byte of any response to A names a host namespace or another tenant.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import {
  decodeEnvelope,
  objectToProtobuf,
  protobufMediaType,
  protobufToObject,
} from '../../src/protobuf/index.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const A = 'pt-iso-a';
const B = 'pt-iso-b';

interface Raw {
  status: number;
  text: string;
}

/**
 * A response may quote what A itself sent (the apiserver echoes a bad path or namespace); those
 * strings are A's own input, not a leak, and are blanked before the scan.
 */
function withoutEchoes(text: string, path: string, body?: string | Buffer): string {
  const sent = new Set<string>();
  const add = (v: string) => v.length >= 4 && sent.add(v);
  add(path);
  for (const v of decodeURIComponent(path).split(/[/?&=,]/)) add(v);
  for (const v of path.split(/[?&=]/)) add(v);
  if (typeof body === 'string')
    JSON.stringify(JSON.parse(body), (_k, v: unknown) => (typeof v === 'string' && add(v), v));
  let out = text;
  for (const v of [...sent].sort((x, y) => y.length - x.length)) {
    out = out.split(v).join('<sent>');
    out = out.split(JSON.stringify(v).slice(1, -1)).join('<sent>');
  }
  return out;
}

describe('host passthrough isolation', () => {
  const host = inject('host');
  let env: TenantEnv;
  let a: HostClient;
  let kcA: string;
  /** Every byte tenant A received (headers and bodies), scanned at the end. */
  const seen: string[] = [];

  async function raw(
    method: string,
    path: string,
    opts: { body?: string | Buffer; contentType?: string; accept?: string; readMs?: number } = {},
  ): Promise<Raw> {
    const ac = new AbortController();
    const res = await a.dispatcher.request({
      origin: a.origin,
      path: a.basePath + path,
      method: method as 'GET',
      headers: a.headers({
        accept: opts.accept ?? 'application/json',
        ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
      }),
      body: opts.body,
      signal: ac.signal,
      bodyTimeout: 0,
    });
    const chunks: Buffer[] = [];
    const timer = opts.readMs ? setTimeout(() => ac.abort(), opts.readMs) : undefined;
    try {
      for await (const c of res.body) chunks.push(c as Buffer);
    } catch {
      // a watch cut by the timer
    }
    clearTimeout(timer);
    const text = Buffer.concat(chunks).toString('latin1');
    seen.push(withoutEchoes(JSON.stringify(res.headers) + text, path, opts.body));
    return { status: res.statusCode, text };
  }

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kcA = await env.tenant(A);
    const kcB = await env.tenant(B);
    for (const [kc, who] of [
      [kcA, 'a'],
      [kcB, 'b'],
    ] as const) {
      kubectlOk(kc, ['create', 'configmap', `cm-${who}`, `--from-literal=owner=${who}`]);
      kubectlOk(kc, ['run', `pod-${who}`, '--image=x', '--labels=app=shared']);
    }
    a = await apiClient(kcA);
  });
  afterAll(async () => {
    await a?.close();
    await env?.close();
  });

  it("answers A only with A's objects for namespaces that are B's or the host's", async () => {
    for (const ns of [`${B}-default`, 'kube-system-x', `${A}-default`, 'default%2F..%2F..']) {
      const r = await raw('GET', `/api/v1/namespaces/${ns}/configmaps`);
      if (r.status === 200) expect((JSON.parse(r.text) as { items: unknown[] }).items).toEqual([]);
      else expect(r.status).toBe(400);
    }
    expect((await raw('GET', `/api/v1/namespaces/${B}-default/configmaps/cm-b`)).status).toBe(404);
    // A's own host namespace name is not a name in A's cluster either.
    expect((await raw('GET', `/api/v1/namespaces/${A}-default/configmaps/cm-a`)).status).toBe(404);
    expect((await raw('GET', '/api/v1/namespaces/default/configmaps/cm-a')).status).toBe(200);
  });

  it('refuses traversal through encoded slashes and dot segments', async () => {
    for (const p of [
      `/api/v1/namespaces/default/configmaps/..%2F..%2F${B}-default%2Fconfigmaps%2Fcm-b`,
      `/api/v1/namespaces/..%2F${B}-default/configmaps`,
      '/api/v1/namespaces/%2E%2E/configmaps',
      `/api/v1/namespaces/default/pods/pod-a%2F..%2F..%2Fpod-b`,
    ]) {
      const r = await raw('GET', p);
      expect([400, 404]).toContain(r.status);
      expect(JSON.parse(r.text)).toMatchObject({ kind: 'Status', status: 'Failure' }); // never B's object
    }
  });

  it('refuses bodies naming another namespace', async () => {
    const cm = (ns: string) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'intruder', namespace: ns } });
    const mismatch = await raw('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm(`${B}-default`),
      contentType: 'application/json',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('does not match the namespace sent on the request');
    const elsewhere = await raw('POST', `/api/v1/namespaces/${B}-default/configmaps`, {
      body: cm(`${B}-default`),
      contentType: 'application/json',
    });
    expect(elsewhere.status).toBe(404);
    expect(
      kubectlOk(host.kubeconfig, [
        'get',
        'configmaps',
        '-A',
        '--field-selector=metadata.name=intruder',
        '-o',
        'name',
      ]),
    ).toBe('');
  });

  it("keeps selectors and lists across namespaces to A's objects", async () => {
    const byNs = await raw('GET', `/api/v1/configmaps?fieldSelector=metadata.namespace%3D${B}-default`);
    expect((JSON.parse(byNs.text) as { items: unknown[] }).items).toEqual([]);
    const shared = JSON.parse((await raw('GET', '/api/v1/pods?labelSelector=app%3Dshared')).text) as {
      items: { metadata: { name: string; namespace: string } }[];
    };
    expect(shared.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['default/pod-a']);
    const notMine = JSON.parse(
      (await raw('GET', '/api/v1/pods?fieldSelector=metadata.namespace!%3Ddefault')).text,
    ) as { items: unknown[] };
    expect(notMine.items).toEqual([]);
  });

  it('rewrites host namespace names inside events (scheduler messages, involvedObject)', async () => {
    let text = '';
    for (let i = 0; i < 50 && !text.includes('Successfully assigned default/pod-a'); i++) {
      text = (await raw('GET', '/api/v1/events')).text;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(text).toContain('Successfully assigned default/pod-a');
    const ev = JSON.parse((await raw('GET', '/apis/events.k8s.io/v1/namespaces/default/events')).text) as {
      items: { regarding: { namespace: string } }[];
    };
    expect(ev.items.length).toBeGreaterThan(0);
    expect(new Set(ev.items.map((e) => e.regarding.namespace))).toEqual(new Set(['default']));
    const table = await raw('GET', '/api/v1/events', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.text).toContain('"kind":"Table"');
  });

  it("watches only A's namespaces", async () => {
    const w = await raw('GET', '/api/v1/pods?watch=true&labelSelector=app%3Dshared', { readMs: 1500 });
    expect(w.status).toBe(200);
    expect(w.text).toContain('pod-a');
    expect(w.text).not.toContain('pod-b');
    const other = await raw('GET', `/api/v1/namespaces/${B}-default/pods?watch=true`, { readMs: 1000 });
    expect(other.text).not.toContain('pod-b');
  });

  it('pages with sealed continue tokens and refuses forged ones', async () => {
    kubectlOk(kcA, ['create', 'ns', 'second']);
    kubectlOk(kcA, ['-n', 'second', 'create', 'configmap', 'cm-2']);
    const names: string[] = [];
    let cont = '';
    for (let i = 0; i < 20; i++) {
      const page = JSON.parse(
        (await raw('GET', `/api/v1/configmaps?limit=1${cont ? `&continue=${cont}` : ''}`)).text,
      ) as { items: { metadata: { name: string; namespace: string } }[]; metadata: { continue?: string } };
      names.push(...page.items.map((c) => `${c.metadata.namespace}/${c.metadata.name}`));
      if (!page.metadata.continue) break;
      cont = page.metadata.continue;
    }
    expect(names).toContain('default/cm-a');
    expect(names).toContain('second/cm-2');
    expect(names.every((n) => !n.includes('cm-b'))).toBe(true);
    const forged = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: `${B}-default/` }),
    ).toString('base64url');
    for (const token of [forged, cont.slice(0, -2) + 'AA', 'not-a-token']) {
      for (const path of ['/api/v1/configmaps', '/api/v1/namespaces/default/configmaps']) {
        const r = await raw('GET', `${path}?limit=1&continue=${token}`);
        expect(r.status).toBe(400);
        expect(r.text).toContain('invalid continue token');
      }
    }
  });

  it('refuses proxy subresources and writes to host views, and hides host-only APIs', async () => {
    const proxy = await raw('GET', '/api/v1/namespaces/default/pods/pod-a/proxy/');
    expect(proxy.status).toBe(403);
    expect((await raw('GET', '/api/v1/namespaces/default/services/kubernetes:443/proxy/')).status).toBe(403);
    expect((await raw('GET', `/api/v1/namespaces/${B}-default/pods/pod-b/log`)).status).toBe(404);
    const nodes = JSON.parse((await raw('GET', '/api/v1/nodes')).text) as {
      items: { metadata: { annotations?: unknown } }[];
    };
    expect(nodes.items.length).toBeGreaterThan(0);
    expect(nodes.items.every((n) => n.metadata.annotations === undefined)).toBe(true);
    const del = await raw('DELETE', '/api/v1/nodes/kwok-node-0');
    expect(del.status).toBe(403);
    expect(JSON.parse(del.text)).toMatchObject({
      reason: 'Forbidden',
      message:
        'nodes "kwok-node-0" is forbidden: User "admin" cannot delete resource "nodes" in API group "" at the cluster scope',
    });
    expect((await raw('GET', '/apis/kplex.io/v1alpha1/tenants')).status).toBe(404);
    // VolumeAttachments are the tenant's own (virtual): the host's are never listed.
    const attachments = await raw('GET', '/apis/storage.k8s.io/v1/volumeattachments');
    expect(attachments.status).toBe(200);
    expect((JSON.parse(attachments.text) as { items: unknown[] }).items).toEqual([]);
    // PersistentVolumes: only those bound to A's claims, claimRef in A's names, in lists, gets and Tables.
    const pv = (name: string, ns: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { 'host-note': 'x' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: `/tmp/${name}` },
        claimRef: { namespace: ns, name: 'claim' },
      },
    });
    kubectlOk(
      host.kubeconfig,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [pv('pv-iso-a', `${A}-default`), pv('pv-iso-b', `${B}-default`)],
      }),
    );
    const pvs = JSON.parse((await raw('GET', '/api/v1/persistentvolumes')).text) as {
      items: {
        metadata: { name: string; annotations?: unknown };
        spec: { claimRef: { namespace: string } };
      }[];
    };
    expect(pvs.items.map((p) => `${p.metadata.name}:${p.spec.claimRef.namespace}`)).toEqual([
      'pv-iso-a:default',
    ]);
    expect(pvs.items[0]!.metadata.annotations).toBeUndefined();
    expect((await raw('GET', '/api/v1/persistentvolumes/pv-iso-b')).status).toBe(404);
    const pvTable = await raw('GET', '/api/v1/persistentvolumes', {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(pvTable.text).toContain('default/claim');
    expect(pvTable.text).not.toContain('pv-iso-b');
  });

  it('serves protobuf clients: create, get, list and watch pods', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pb-pod', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    const created = await a.dispatcher.request({
      origin: a.origin,
      path: `${a.basePath}/api/v1/namespaces/default/pods`,
      method: 'POST',
      headers: a.headers({ accept: protobufMediaType, 'content-type': protobufMediaType }),
      body: objectToProtobuf(pod),
    });
    const body = Buffer.from(await created.body.arrayBuffer());
    seen.push(body.toString('latin1'));
    expect(created.statusCode).toBe(201);
    expect(decodeEnvelope(body).kind).toBe('Pod');
    expect((protobufToObject(body) as { metadata: { namespace: string } }).metadata.namespace).toBe(
      'default',
    );
    const list = await raw('GET', '/api/v1/namespaces/default/pods', { accept: protobufMediaType });
    const items = (
      protobufToObject(Buffer.from(list.text, 'latin1')) as {
        items: { metadata: { name: string; namespace: string } }[];
      }
    ).items;
    expect(items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      'default/pb-pod',
      'default/pod-a',
    ]);
    const w = await raw(
      'GET',
      '/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dpb-pod',
      { accept: protobufMediaType, readMs: 1000 },
    );
    expect(w.status).toBe(200);
    expect(w.text).toContain('pb-pod');
  });

  it("never sent A a host namespace name or another tenant's name", () => {
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    // Host namespace names of A's own namespaces ("pt-iso-a-default"), B's, and B's objects.
    expect(all).not.toMatch(new RegExp(`${A}-(default|second|kube)`));
    expect(all).not.toContain(B);
    expect(all).not.toContain('cm-b');
    expect(all).not.toContain('pod-b');
  });
});
