// SIGKILL of kplex during writes loses no acknowledged write, and a watch resumed after the
// restart from the last resourceVersion it saw receives every later change exactly once.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostClient } from '../../src/hostapi/host-client.js';
import { apiClient } from '../helpers/api-client.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';
import { watch } from '../helpers/watch.js';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'counters.durable.example.com' },
  spec: {
    group: 'durable.example.com',
    scope: 'Namespaced',
    names: { plural: 'counters', singular: 'counter', kind: 'Counter', listKind: 'CounterList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};
const PATH = '/apis/durable.example.com/v1/namespaces/default/counters';
const counter = (i: number) => ({
  apiVersion: 'durable.example.com/v1',
  kind: 'Counter',
  metadata: { name: `c-${i}` },
  spec: { i },
});

describe('durability across SIGKILL', () => {
  const host = inject('host');
  let env: TenantEnv;
  let kc: string;

  beforeAll(async () => {
    env = await startTenantEnv(host);
    kc = await env.tenant('durable');
    kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(crd));
    kubectlOk(kc, ['wait', '--for=condition=Established', `crd/${crd.metadata.name}`, '--timeout=30s']);
  });
  afterAll(async () => env?.close());

  it('keeps every acknowledged write and resumes watches without loss or duplicates', async () => {
    let api: HostClient = await apiClient(kc);
    const startRV = (await api.must<{ metadata: { resourceVersion: string } }>('GET', PATH)).body.metadata
      .resourceVersion;
    const before = watch(api, `${PATH}?watch=1&resourceVersion=${startRV}`);

    // Writers keep creating objects; kplex is killed while they run.
    const acked = new Map<string, string>(); // name -> rv
    const refused: string[] = [];
    let i = 0;
    let killed = false;
    const writer = (async () => {
      while (!killed) {
        const n = i++;
        try {
          const res = await api.request<{ metadata: { resourceVersion: string } }>('POST', PATH, counter(n));
          if (res.status === 201) acked.set(`c-${n}`, res.body.metadata.resourceVersion);
          else refused.push(`${res.status} ${JSON.stringify(res.body)}`);
        } catch {
          // the connection died with the process: this write was never acknowledged
        }
      }
    })();
    while (acked.size < 150) {
      expect(refused, 'writes refused before the kill').toEqual([]);
      await new Promise((r) => setTimeout(r, 10));
    }
    env.kplex.child.kill('SIGKILL');
    killed = true;
    await writer;
    await before.done;
    await api.close();

    await env.restart();
    // A restarted kplex listens on a new port: fetch a fresh kubeconfig (same tenant, same store).
    api = await apiClient(await env.tenant('durable'));
    const list = (
      await api.must<{
        items: { metadata: { name: string; resourceVersion: string } }[];
        metadata: { resourceVersion: string };
      }>('GET', PATH)
    ).body;
    const stored = new Map(list.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
    for (const [name, rv] of acked) expect(stored.get(name), `acknowledged ${name}@${rv}`).toBe(rv);

    // Resume from the last version the first watch saw; later writes arrive too.
    const lastSeen = before.events.at(-1)?.object.metadata?.resourceVersion ?? startRV;
    const resumed = watch(api, `${PATH}?watch=1&resourceVersion=${lastSeen}`);
    for (let k = 0; k < 20; k++) await api.must('POST', PATH, counter(100_000 + k));
    const expected = [...stored.entries()].filter(([, rv]) => Number(rv) > Number(lastSeen)).length + 20;
    await expect.poll(() => resumed.events.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(expected);
    await new Promise((r) => setTimeout(r, 300));
    resumed.stop();
    const names = resumed.events.map((e) => e.object.metadata?.name);
    expect(new Set(names).size).toBe(names.length); // exactly once
    expect(resumed.events.length).toBe(expected);
    expect(resumed.events.every((e) => e.type === 'ADDED')).toBe(true);
    const seenBefore = new Set(before.events.map((e) => e.object.metadata?.name));
    for (const [name] of stored)
      expect(seenBefore.has(name) || names.includes(name), `${name} delivered`).toBe(true);
    await api.close();
  });
});
