// Dispatching a tenant's webhooks against a real in-process HTTPS webhook: reinvocation, dry runs
// and side effects, matchPolicy, matchConditions, the answers kplex refuses, the denial Status of
// v1.32, exempt resources and the address guard.
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../../src/admission/attributes.js';
import {
  dispatchMutating,
  dispatchValidating,
  type DispatchEnv,
} from '../../../src/admission/webhooks/dispatch.js';
import { forbiddenTarget, protectFromWebhooks } from '../../../src/admission/webhooks/guard.js';
import { isExempt } from '../../../src/admission/webhooks/match.js';
import type { Hook, Webhook } from '../../../src/admission/webhooks/types.js';
import { isStatusError, type StatusError } from '../../../src/api/status.js';
import { createCA, issueCert } from '../../../src/pki/certs.js';

type Review = {
  uid: string;
  object?: { metadata?: { labels?: Record<string, string> } };
  kind?: unknown;
  dryRun?: boolean;
};
type Answer = (path: string, req: Review) => Record<string, unknown>;

let server: Server;
let base = '';
let caBundle = '';
let answer: Answer = (_p, r) => ({ uid: r.uid, allowed: true });
const calls: { path: string; req: Review }[] = [];

beforeAll(async () => {
  const ca = await createCA('unit-webhooks');
  const leaf = await issueCert(ca, { commonName: 'w', ipAddresses: ['127.0.0.1'], server: true });
  caBundle = Buffer.from(ca.cert).toString('base64');
  server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      const review = (JSON.parse(text) as { request: Review }).request;
      calls.push({ path, req: review });
      if (path === '/slow') return void setTimeout(() => res.destroy(), 2000).unref();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: answer(path, review),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  calls.length = 0;
  answer = (_p, r) => ({ uid: r.uid, allowed: true });
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const addLabel = (r: Review, key: string) =>
  r.object?.metadata?.labels?.[key]
    ? { uid: r.uid, allowed: true }
    : {
        uid: r.uid,
        allowed: true,
        patchType: 'JSONPatch',
        patch: b64([{ op: 'add', path: `/metadata/labels/${key}`, value: 'x' }]),
      };

function hook(name: string, path: string, w: Partial<Webhook> = {}): Hook {
  return {
    uid: `cfg/${name}`,
    configuration: 'cfg',
    webhook: {
      name,
      clientConfig: { url: `${base}${path}`, caBundle },
      rules: [
        { operations: ['CREATE'], apiGroups: ['example.test'], apiVersions: ['v1'], resources: ['widgets'] },
      ],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      ...w,
    },
  };
}

function attrs(a: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    resource: { group: 'example.test', version: 'v1', resource: 'widgets' },
    subresource: '',
    kind: { group: 'example.test', version: 'v1', kind: 'Widget' },
    namespace: 'ns',
    name: 'w',
    object: {
      apiVersion: 'example.test/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'ns', labels: {} },
    },
    oldObject: null,
    user: { username: 'alice', groups: [] },
    dryRun: false,
    ...a,
  };
}

const env = (e: Partial<DispatchEnv> = {}): DispatchEnv => ({
  urlsAllowed: true,
  equivalents: () => [],
  namespaceLabels: () => ({}),
  ...e,
});

async function refusal(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('mutating webhooks', () => {
  it('applies patches in order and calls an IfNeeded webhook again after a later one changed the object', async () => {
    answer = (path, r) => addLabel(r, path.slice(1));
    const a = attrs();
    await dispatchMutating([hook('a', '/a', { reinvocationPolicy: 'IfNeeded' }), hook('b', '/b')], a, env());
    expect(a.object?.metadata?.labels).toEqual({ a: 'x', b: 'x' });
    expect(a.mutated).toBe(true);
    expect(calls.map((c) => c.path)).toEqual(['/a', '/b', '/a']);
  });

  it('calls a Never webhook once', async () => {
    answer = (path, r) => addLabel(r, path.slice(1));
    await dispatchMutating([hook('a', '/a'), hook('b', '/b')], attrs(), env());
    expect(calls.map((c) => c.path)).toEqual(['/a', '/b']);
  });

  it('keeps the metadata object the caller holds (the registry reads it after admission)', async () => {
    answer = (path, r) => addLabel(r, 'l');
    const a = attrs();
    const meta = a.object!.metadata;
    await dispatchMutating([hook('a', '/a')], a, env());
    expect(a.object!.metadata).toBe(meta);
    expect(meta?.labels).toEqual({ l: 'x' });
  });

  it('refuses a patch type other than JSONPatch, and a patch on DELETE', async () => {
    answer = (_p, r) => ({ uid: r.uid, allowed: true, patchType: 'Merge', patch: b64({}) });
    expect((await refusal(dispatchMutating([hook('a', '/a')], attrs(), env()))).status.message).toContain(
      'webhook returned invalid patchType: "Merge"',
    );
    answer = (_p, r) => addLabel(r, 'l');
    const del = attrs({ operation: 'DELETE', object: null, oldObject: attrs().object });
    const rules = [{ operations: ['DELETE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }];
    expect(
      (await refusal(dispatchMutating([hook('a', '/a', { rules })], del, env()))).status.message,
    ).toContain('attempted to modify the object, which is not supported for this operation');
  });
});

describe('validating webhooks', () => {
  it("denies with the webhook's Status as v1.32 words it (code at least 400, its reason)", async () => {
    answer = (_p, r) => ({ uid: r.uid, allowed: false, status: { code: 200 } });
    const e = await refusal(dispatchValidating([hook('v.example.test', '/v')], attrs(), env()));
    expect(e.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 400,
      message: 'admission webhook "v.example.test" denied the request without explanation',
    });
    answer = (_p, r) => ({ uid: r.uid, allowed: false, status: { code: 409, reason: 'Conflict' } });
    const c = await refusal(dispatchValidating([hook('v.example.test', '/v')], attrs(), env()));
    expect(c.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'admission webhook "v.example.test" denied the request: Conflict',
    });
  });

  it('refuses a validating webhook that answers a patch, unless it fails open', async () => {
    answer = (_p, r) => addLabel(r, 'l');
    const e = await refusal(dispatchValidating([hook('v', '/v')], attrs(), env()));
    expect(e.status.code).toBe(500);
    expect(e.status.message).toBe(
      'Internal error occurred: failed calling webhook "v": received invalid webhook response: validating webhook may not return a patch',
    );
    await dispatchValidating([hook('v', '/v', { failurePolicy: 'Ignore' })], attrs(), env());
  });

  it('passes warnings on', async () => {
    answer = (_p, r) => ({ uid: r.uid, allowed: true, warnings: ['careful'] });
    expect(await dispatchValidating([hook('v', '/v'), hook('w', '/w')], attrs(), env())).toEqual([
      'careful',
      'careful',
    ]);
  });
});

describe('when a webhook is called', () => {
  it('refuses a dry run for a webhook with side effects, without calling it (400)', async () => {
    const e = await refusal(
      dispatchValidating([hook('se', '/se', { sideEffects: 'Some' })], attrs({ dryRun: true }), env()),
    );
    expect(e.status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'admission webhook "se" does not support dry run',
    });
    expect(calls).toEqual([]);
    await dispatchValidating(
      [hook('ok', '/ok', { sideEffects: 'NoneOnDryRun' })],
      attrs({ dryRun: true }),
      env(),
    );
    expect(calls[0]?.req.dryRun).toBe(true);
  });

  it('matches another served version under matchPolicy Equivalent only, sending that version', async () => {
    const rules = [
      {
        operations: ['CREATE'],
        apiGroups: ['example.test'],
        apiVersions: ['v1beta1'],
        resources: ['widgets'],
      },
    ];
    const e = env({
      equivalents: () => [
        { version: 'v1beta1', kind: 'Widget' },
        { version: 'v1', kind: 'Widget' },
      ],
    });
    await dispatchValidating([hook('x', '/exact', { rules, matchPolicy: 'Exact' })], attrs(), e);
    expect(calls).toEqual([]);
    await dispatchValidating([hook('q', '/eq', { rules })], attrs(), e);
    expect(calls[0]?.req.kind).toEqual({ group: 'example.test', version: 'v1beta1', kind: 'Widget' });
    expect((calls[0]?.req.object as { apiVersion?: string }).apiVersion).toBe('example.test/v1beta1');
  });

  it('skips on a false matchCondition; an erroring one fails closed (403) or is skipped under Ignore', async () => {
    await dispatchValidating(
      [hook('c', '/c', { matchConditions: [{ name: 'n', expression: "object.metadata.name == 'other'" }] })],
      attrs(),
      env(),
    );
    expect(calls).toEqual([]);
    const bad = [{ name: 'n', expression: 'object.spec.missing == 1' }];
    const e = await refusal(dispatchValidating([hook('c', '/c', { matchConditions: bad })], attrs(), env()));
    expect(e.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(e.status.message).toContain('widgets.example.test "w" is forbidden: expression');
    await dispatchValidating(
      [hook('c', '/c', { matchConditions: bad, failurePolicy: 'Ignore' })],
      attrs(),
      env(),
    );
    expect(calls).toEqual([]);
  });

  it('skips on the object and namespace selectors', async () => {
    const w = { objectSelector: { matchLabels: { want: 'yes' } } };
    await dispatchValidating([hook('o', '/o', w)], attrs(), env());
    await dispatchValidating(
      [hook('n', '/n', { namespaceSelector: { matchLabels: { team: 'a' } } })],
      attrs(),
      env({ namespaceLabels: () => ({ team: 'b' }) }),
    );
    expect(calls).toEqual([]);
  });

  it("ends a call at the caller's deadline before the webhook's own timeout (the pod path's host timeout)", async () => {
    const e = await refusal(
      dispatchValidating(
        [hook('s', '/slow', { timeoutSeconds: 10 })],
        attrs(),
        env({ deadline: Date.now() + 200 }),
      ),
    );
    expect(e.status.message).toBe(
      `Internal error occurred: failed calling webhook "s": failed to call webhook: Post "${base}/slow?timeout=1s": context deadline exceeded`,
    );
  });

  it('refuses url webhooks the Tenant policy does not allow', async () => {
    const e = await refusal(dispatchValidating([hook('u', '/u')], attrs(), env({ urlsAllowed: false })));
    expect(e.status.message).toContain("the Tenant's policy does not allow url webhooks");
    expect(calls).toEqual([]);
  });

  it('exempts webhook configurations and admission policies themselves', () => {
    const on = (resource: string) =>
      attrs({ resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource } });
    expect(isExempt(on('validatingwebhookconfigurations'))).toBe(true);
    expect(isExempt(on('validatingadmissionpolicybindings'))).toBe(true);
    expect(isExempt(attrs())).toBe(false);
  });
});

describe('the address guard', () => {
  it("refuses kplex's own ports on local addresses, the host apiserver, link-local and unspecified addresses", () => {
    protectFromWebhooks({ ports: [64001], hostURL: 'https://10.1.2.3:6443' });
    expect(forbiddenTarget('127.0.0.1', 64001)).toContain('kplex itself');
    expect(forbiddenTarget('10.9.9.9', 64001)).toBeUndefined(); // not this machine
    expect(forbiddenTarget('10.1.2.3', 6443)).toContain("host's apiserver");
    expect(forbiddenTarget('169.254.169.254', 80)).toContain('link-local');
    expect(forbiddenTarget('fe80::1', 443)).toContain('link-local');
    expect(forbiddenTarget('0.0.0.0', 443)).toContain('unspecified');
    expect(forbiddenTarget('127.0.0.1', 8443)).toBeUndefined();
  });
});
