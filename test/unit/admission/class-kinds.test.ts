// Classes and storage descriptions through the generic handlers, registry and a real SQLite store:
// the rows of class-kinds.ts (defaults, generation, status reset, immutable fields, namespaced
// CSIStorageCapacity) and the CSR field selector spec.signerName. Messages are compared with the
// real host in test/integration/tenant-classes.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admissionStrategies } from '../../../src/admission/strategies.js';
import { builtinVirtualResources } from '../../../src/builtin/builtin-virtual.js';
import { type Harness, startHarness } from '../handlers/harness.js';

const strategies = admissionStrategies();
const rows = builtinVirtualResources.filter((r) => r.strategy?.startsWith('admission-'));

let h: Harness;
beforeEach(async () => {
  h = await startHarness(rows.map((info) => ({ info, strategy: strategies[info.strategy!]! })));
});
afterEach(async () => h.close());

const PC = '/apis/scheduling.k8s.io/v1/priorityclasses';
const VA = '/apis/storage.k8s.io/v1/volumeattachments';
const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

describe('class kinds', () => {
  it('are rows of the table: RuntimeClass... cluster-scoped, CSIStorageCapacity namespaced, short names', () => {
    const row = (r: string) => rows.find((x) => x.resource === r)!;
    expect(row('priorityclasses')).toMatchObject({
      group: 'scheduling.k8s.io',
      namespaced: false,
      shortNames: ['pc'],
    });
    expect(row('storageclasses').shortNames).toEqual(['sc']);
    expect(row('csistoragecapacities')).toMatchObject({ group: 'storage.k8s.io', namespaced: true });
    expect(row('volumeattachments').subresources).toEqual({ status: true });
  });

  it('defaults a PriorityClass, keeps no generation, and reserves the system- prefix', async () => {
    const c = await h.req('POST', PC, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'p' },
      value: 10,
    });
    expect(c.status).toBe(201);
    expect(c.json.preemptionPolicy).toBe('PreemptLowerPriority');
    expect(c.json.metadata.generation).toBeUndefined();
    const sys = await h.req('POST', PC, { metadata: { name: 'system-mine' }, value: 10 });
    expect(sys.status).toBe(422);
    expect(sys.json.message).toBe(
      'PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with \'system-\' prefix are reserved for system use only. error: system-mine is not a known system priority class',
    );
    const known = await h.req('POST', PC, { metadata: { name: 'system-node-critical' }, value: 2000001000 });
    expect(known.status).toBe(201);
    // globalDefault is omitempty (never written false), and its column prints Go's zero value.
    const off = await h.req('POST', PC, { metadata: { name: 'off' }, value: 1, globalDefault: false });
    expect(off.json.globalDefault).toBeUndefined();
    const table = await h.req('GET', `${PC}/off`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.json.rows[0].cells).toEqual(['off', 1, false, expect.any(String), 'PreemptLowerPriority']);
  });

  it('resets a VolumeAttachment status on create and changes it only through /status', async () => {
    const va = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { name: 'va' },
      spec: { attacher: 'example.com', nodeName: 'n', source: { persistentVolumeName: 'pv' } },
      status: { attached: true },
    };
    const c = await h.req('POST', VA, va);
    expect(c.status).toBe(201);
    expect(c.json.status).toEqual({ attached: false });
    const s = await h.req('PUT', `${VA}/va/status`, {
      ...c.json,
      status: { attached: true },
      spec: { ...va.spec, nodeName: 'm' },
    });
    expect(s.status).toBe(200);
    expect(s.json.status.attached).toBe(true);
    expect(s.json.spec.nodeName).toBe('n');
    const u = await h.req('PUT', `${VA}/va`, { ...s.json, spec: { ...va.spec, nodeName: 'm' } });
    expect(u.status).toBe(422);
    expect(u.json.details.causes[0]).toMatchObject({ field: 'spec', reason: 'FieldValueInvalid' });
  });

  it('serves CSIStorageCapacity per namespace', async () => {
    const cap = () => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIStorageCapacity',
      metadata: { name: 'c' },
      storageClassName: 'standard',
    });
    expect(
      (await h.req('POST', '/apis/storage.k8s.io/v1/namespaces/a/csistoragecapacities', cap())).status,
    ).toBe(201);
    expect(
      (await h.req('POST', '/apis/storage.k8s.io/v1/namespaces/b/csistoragecapacities', cap())).status,
    ).toBe(201);
    const all = await h.req(
      'GET',
      '/apis/storage.k8s.io/v1/csistoragecapacities?fieldSelector=metadata.namespace%3Db',
    );
    expect(all.json.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['b/c']);
  });

  it('selects CSRs by spec.signerName, as the apiserver', async () => {
    for (const [name, signerName] of [
      ['a', 'kubernetes.io/kube-apiserver-client'],
      ['b', 'example.com/signer'],
    ])
      expect(
        (
          await h.req('POST', CSR, {
            apiVersion: 'certificates.k8s.io/v1',
            kind: 'CertificateSigningRequest',
            metadata: { name },
            spec: { signerName, request: 'eA==', usages: ['client auth'] },
          })
        ).status,
      ).toBe(201);
    const sel = async (s: string) =>
      (await h.req('GET', `${CSR}?fieldSelector=${encodeURIComponent(s)}`)).json;
    expect((await sel('spec.signerName=example.com/signer')).items.map((i: any) => i.metadata.name)).toEqual([
      'b',
    ]);
    expect((await sel('spec.signerName!=example.com/signer')).items.map((i: any) => i.metadata.name)).toEqual(
      ['a'],
    );
    expect((await sel('spec.username=x')).message).toBe('field label not supported: spec.username');
  });
});
