// Server-side apply as kubectl relies on it: apply twice is a no-op, another manager conflicts,
// --force-conflicts takes ownership, fields dropped from the config are removed.
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/api/status.js';
import type { KubeObject } from '../../../src/api/object.js';
import { serverSideApply, updateManagedFields } from '../../../src/patch/index.js';
import { fullSpec, webApp, webAppSchema as schema } from './fixtures.js';

const T1 = '2025-01-01T10:00:00.123Z';
const T2 = '2025-01-01T11:00:00Z';

function apply(live: KubeObject | undefined, cfg: KubeObject, manager = 'kubectl', force = false, now = T1) {
  return serverSideApply(live, cfg, { manager, force, schema, now });
}

function applyError(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

/** A stored object: what the registry would have persisted. */
const stored = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, uid: 'u-1', resourceVersion: '1' },
});

describe('serverSideApply', () => {
  it('records the applier with the golden FieldsV1 set (metadata fields stripped)', () => {
    const out = apply(undefined, webApp(fullSpec, { labels: { app: 'web' } }));
    expect(out.spec).toEqual(fullSpec);
    expect(out.metadata?.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'stable.example.com/v1',
        time: '2025-01-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': { 'f:matchLabels': { 'f:app': {} } },
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"nginx"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': {
                      'k:{"containerPort":80,"protocol":"TCP"}': {
                        '.': {},
                        'f:containerPort': {},
                        'f:protocol': {},
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ]);
    // key order of the entry is the apiserver's (manager, operation, apiVersion, time, fieldsType, fieldsV1)
    expect(Object.keys(out.metadata!.managedFields![0] as object)).toEqual([
      'manager',
      'operation',
      'apiVersion',
      'time',
      'fieldsType',
      'fieldsV1',
    ]);
  });

  it('is a no-op when the same config is applied again (time unchanged)', () => {
    const cfg = webApp(fullSpec);
    const first = stored(apply(undefined, cfg));
    const second = apply(first, cfg, 'kubectl', false, T2);
    expect(second).toEqual(first);
  });

  it('conflicts when another applier changes an owned field, with the apiserver message and causes', () => {
    const live = stored(apply(undefined, webApp(fullSpec)));
    const err = applyError(() => apply(live, webApp({ replicas: 5 }), 'hpa'));
    expect(err.status.code).toBe(409);
    expect(err.status.reason).toBe('Conflict');
    expect(err.status.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(err.status.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' },
    ]);
  });

  it('does not conflict when the other applier sets the same value; both share ownership', () => {
    const live = stored(apply(undefined, webApp(fullSpec)));
    const out = apply(live, webApp({ replicas: 2 }), 'other');
    expect(out.spec).toEqual(live.spec);
    // the object did not change, so the new entry has no time and sorts first (time 0)
    const mf = out.metadata!.managedFields as { manager: string; fieldsV1: unknown; time?: string }[];
    expect(mf.map((e) => e.manager)).toEqual(['other', 'kubectl']);
    expect(mf[0]).not.toHaveProperty('time');
    expect(mf[0]!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(mf[1]!.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {} } });
  });

  it('names an Update manager with its apiVersion and lists several conflicts grouped by manager', () => {
    const created = webApp({ replicas: 1, paused: false });
    updateManagedFields(undefined, created, {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      schema,
      now: T1,
    });
    const err = applyError(() => apply(stored(created), webApp({ replicas: 3, paused: true }), 'kubectl'));
    expect(err.status.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using stable.example.com/v1:\n' +
        '- .spec.paused\n- .spec.replicas',
    );
    expect(err.status.details?.causes?.map((c) => c.field)).toEqual(['.spec.paused', '.spec.replicas']);
  });

  it('--force-conflicts takes the field over from the previous owner', () => {
    const live = stored(apply(undefined, webApp(fullSpec)));
    const out = apply(live, webApp({ replicas: 5 }), 'hpa', true, T2);
    expect(out.spec).toMatchObject({ replicas: 5 });
    const mf = out.metadata!.managedFields as {
      manager: string;
      fieldsV1: Record<string, Record<string, unknown>>;
    }[];
    const kubectl = mf.find((e) => e.manager === 'kubectl')!;
    const hpa = mf.find((e) => e.manager === 'hpa')!;
    expect(kubectl.fieldsV1['f:spec']!['f:replicas']).toBeUndefined();
    expect(hpa.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    // kubectl no longer owns replicas: applying its old value again now conflicts the other way
    const err = applyError(() => apply(stored(out), webApp(fullSpec)));
    expect(err.status.message).toBe('Apply failed with 1 conflict: conflict with "hpa": .spec.replicas');
  });

  it('removes fields the applier stops applying, unless another manager owns them', () => {
    const live = stored(apply(undefined, webApp({ ...fullSpec, paused: true, tags: ['a', 'b'] })));
    const out = apply(live, webApp({ ...fullSpec, tags: ['a'] }));
    expect(out.spec).not.toHaveProperty('paused');
    expect((out.spec as { tags: string[] }).tags).toEqual(['a']);

    const shared = stored(apply(live, webApp({ paused: true }), 'other'));
    const kept = apply(shared, webApp(fullSpec));
    expect(kept.spec).toMatchObject({ paused: true });
    expect(kept.spec).not.toHaveProperty('tags');
  });

  it('merges list-map items by key and keeps items other managers added', () => {
    const live = stored(apply(undefined, webApp(fullSpec)));
    const sidecar = {
      template: { spec: { containers: [{ name: 'sidecar', image: 'envoy' }] } },
    };
    const both = stored(apply(live, webApp(sidecar), 'mesh'));
    const names = (o: KubeObject) =>
      ((o.spec as typeof fullSpec).template.spec.containers as { name: string }[]).map((c) => c.name);
    expect(names(both)).toEqual(['nginx', 'sidecar']);
    const img = apply(
      both,
      webApp({
        ...fullSpec,
        template: {
          ...fullSpec.template,
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
        },
      }),
    );
    expect(names(img)).toEqual(['nginx', 'sidecar']);
    expect((img.spec as typeof fullSpec).template.spec.containers[0]!.image).toBe('nginx:1.27');
  });

  it('treats atomic maps and preserve-unknown-fields as the schema says', () => {
    const live = stored(apply(undefined, webApp({ resources: { cpu: '1' }, config: { a: { b: 1 } } })));
    const mf = live.metadata!.managedFields as { fieldsV1: Record<string, unknown> }[];
    expect(mf[0]!.fieldsV1).toEqual({
      // keys of a preserve-unknown-fields map are undeclared, so they are members too (".")
      'f:spec': { 'f:config': { 'f:a': { '.': {}, 'f:b': {} } }, 'f:resources': {} },
    });
    const err = applyError(() => apply(live, webApp({ resources: { memory: '1Gi' } }), 'other'));
    expect(err.status.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.resources');
  });

  it('gives existing fields to "before-first-apply" when an untracked object is first applied', () => {
    const live = stored(webApp({ replicas: 1, paused: true }));
    const out = apply(live, webApp({ replicas: 1 }));
    const mf = out.metadata!.managedFields as { manager: string; operation: string; fieldsV1: unknown }[];
    expect(mf.map((e) => [e.manager, e.operation])).toEqual([
      ['kubectl', 'Apply'],
      ['before-first-apply', 'Update'],
    ]);
    expect(mf[1]!.fieldsV1).toEqual({ 'f:spec': { '.': {}, 'f:paused': {}, 'f:replicas': {} } });
  });

  it('rejects managedFields in the config, a wrong version and undeclared fields', () => {
    const live = stored(apply(undefined, webApp(fullSpec)));
    const withMF = { ...webApp({}), metadata: { name: 'web', managedFields: [] } };
    expect(applyError(() => apply(live, withMF)).status).toMatchObject({
      code: 400,
      message: 'metadata.managedFields must be nil',
    });
    expect(
      applyError(() => apply(live, { ...webApp({}), apiVersion: 'stable.example.com/v2' })).status,
    ).toMatchObject({
      code: 400,
      message: 'invalid object type: stable.example.com/v2, Kind=WebApp',
    });
    expect(applyError(() => apply(live, webApp({ bogus: 1 }))).status).toMatchObject({
      code: 500,
      message:
        'failed to create typed patch object (default/web; stable.example.com/v1, Kind=WebApp): .spec.bogus: field not declared in schema',
    });
  });

  it('for kubectl, overrides conflicts on fields set by client-side apply and updates last-applied', () => {
    const lastApplied = JSON.stringify(webApp({ replicas: 1 }));
    const created = webApp(
      { replicas: 1 },
      { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    );
    updateManagedFields(undefined, created, {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      schema,
      now: T1,
    });
    const out = apply(stored(created), webApp({ replicas: 4 }), 'kubectl');
    expect(out.spec).toEqual({ replicas: 4 });
    expect(
      JSON.parse(out.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration']!),
    ).toEqual(webApp({ replicas: 4 }));
  });
});

describe('serverSideApply without a schema (e.g. Namespace)', () => {
  const ns = (labels: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a', labels },
  });
  const applyNs = (live: KubeObject | undefined, cfg: KubeObject, manager: string, force = false) =>
    serverSideApply(live, cfg, { manager, force, now: T1 });

  it('keeps labels granular: managers own single keys, a dropped key is removed', () => {
    const a = stored(applyNs(undefined, ns({ x: '1', y: '2' }), 'a'));
    const b = stored(applyNs(a, ns({ z: '3' }), 'b'));
    expect(b.metadata?.labels).toEqual({ x: '1', y: '2', z: '3' });
    const dropped = applyNs(b, ns({ x: '1' }), 'a');
    expect(dropped.metadata?.labels).toEqual({ x: '1', z: '3' });
    const err = applyError(() => applyNs(b, ns({ z: '4' }), 'a'));
    expect(err.status.message).toBe('Apply failed with 1 conflict: conflict with "b": .metadata.labels.z');
  });
});

describe('updateManagedFields', () => {
  it('records the creator with "." for maps the create added (Update format)', () => {
    const obj = webApp({ replicas: 1 }, { labels: { app: 'web' } });
    updateManagedFields(undefined, obj, { manager: 'kubectl-create', operation: 'Update', schema, now: T1 });
    expect((obj.metadata as Record<string, unknown> | undefined)?.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'stable.example.com/v1',
        time: '2025-01-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': { '.': {}, 'f:replicas': {} },
        },
      },
    ]);
  });

  it('moves changed fields to the updater, drops emptied managers, and skips untracked objects', () => {
    const obj = webApp({ replicas: 1 });
    updateManagedFields(undefined, obj, { manager: 'a', operation: 'Update', schema, now: T1 });
    const live = stored(obj);
    const next = structuredClone(live);
    (next.spec as { replicas: number }).replicas = 3;
    updateManagedFields(live, next, { manager: 'b', operation: 'Update', schema, now: T2 });
    const mf = next.metadata!.managedFields as { manager: string; fieldsV1: unknown; time: string }[];
    expect(mf.map((e) => e.manager)).toEqual(['a', 'b']);
    // "a" keeps .spec itself (it created the map) but lost .spec.replicas
    expect(mf[0]!.fieldsV1).toEqual({ 'f:spec': {} });
    expect(mf[1]).toMatchObject({ fieldsV1: { 'f:spec': { 'f:replicas': {} } }, time: T2 });

    const untracked = stored(webApp({ replicas: 1 }));
    const changed = structuredClone(untracked);
    (changed.spec as { replicas: number }).replicas = 2;
    updateManagedFields(untracked, changed, { manager: 'b', operation: 'Update', schema, now: T2 });
    expect(changed.metadata).not.toHaveProperty('managedFields');
  });

  it('keeps the live managedFields when a client omits them; an empty list stops tracking', () => {
    const obj = webApp({ replicas: 1 });
    updateManagedFields(undefined, obj, { manager: 'a', operation: 'Update', schema, now: T1 });
    const live = stored(obj);
    const omitted = structuredClone(live);
    delete omitted.metadata!.managedFields;
    updateManagedFields(live, omitted, { manager: 'b', operation: 'Update', schema, now: T2 });
    expect(omitted.metadata!.managedFields).toEqual(live.metadata!.managedFields);

    const reset = structuredClone(live);
    reset.metadata!.managedFields = [];
    (reset.spec as { replicas: number }).replicas = 2;
    updateManagedFields(live, reset, { manager: 'b', operation: 'Update', schema, now: T2 });
    expect(reset.metadata).not.toHaveProperty('managedFields');
  });

  it('keeps a status-subresource writer apart from the main resource (subresource in the entry)', () => {
    const obj = webApp({ replicas: 1 });
    updateManagedFields(undefined, obj, { manager: 'a', operation: 'Update', schema, now: T1 });
    const live = stored(obj);
    const next = { ...structuredClone(live), status: { ready: 1 } };
    updateManagedFields(live, next, {
      manager: 'ctrl',
      operation: 'Update',
      subresource: 'status',
      schema,
      now: T2,
    });
    const mf = next.metadata!.managedFields as Record<string, unknown>[];
    expect(mf[1]).toMatchObject({
      manager: 'ctrl',
      subresource: 'status',
      fieldsV1: { 'f:status': { '.': {}, 'f:ready': {} } },
    });
  });
});
