// Upgrades and request smuggling: exec, attach and portforward upgrades (SPDY/3.1 POST as kubectl
// sends them, WebSocket GET with Sec-WebSocket-* headers) with a second request written after the
// head, the way issue 11's attacker got kplex's host credential to read the signing keys and write
// into the host's kube-system. Each attack asserts that the smuggled requests never ran on the host
// (checked with the host admin), that the attacker's bytes hold nothing of kplex-system, and that
// kplex answered once (a Status) and closed, or upgraded and kept the bytes inside the stream.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { apiClient } from '../helpers/api-client.js';
import { attack, securityEnv, type SecurityEnv } from './harness.js';
import { exchange, expectNothingSmuggled, head, hostSecrets, smuggled, type Exchange } from './raw-http.js';
import { hostNamespaceOf } from './raw-scan.js';

const T = 'sec-upgrades';
const SUBRESOURCES = ['exec', 'attach', 'portforward'] as const;
type Sub = (typeof SUBRESOURCES)[number];

const QUERY: Record<Sub, string> = {
  exec: 'command=id&stdout=true&stderr=true',
  attach: 'stdout=true&stderr=true',
  portforward: 'ports=80',
};

const WS_PROTOCOL: Record<Sub, string> = {
  exec: 'v5.channel.k8s.io, v4.channel.k8s.io',
  attach: 'v5.channel.k8s.io, v4.channel.k8s.io',
  portforward: 'SPDY/3.1+portforward.k8s.io',
};

/** kubectl's upgrade: POST, SPDY/3.1, the stream protocol versions, and Go's Content-Length: 0. */
function spdyHead(path: string, authorization: string, sub: Sub = 'exec', extra: string[] = []): string {
  return head(`POST ${path} HTTP/1.1`, [
    'Host: x',
    `Authorization: ${authorization}`,
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    sub === 'portforward'
      ? 'X-Stream-Protocol-Version: portforward.k8s.io'
      : 'X-Stream-Protocol-Version: v4.channel.k8s.io',
    'Content-Length: 0',
    ...extra,
  ]);
}

/** A WebSocket upgrade as client-go's websocket executor sends it: a GET with the handshake headers. */
function wsHead(path: string, authorization: string, sub: Sub = 'exec', extra: string[] = []): string {
  return head(`GET ${path} HTTP/1.1`, [
    'Host: x',
    `Authorization: ${authorization}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Protocol: ${WS_PROTOCOL[sub]}`,
    ...extra,
  ]);
}

const cmName = (): string => `smuggled-${randomBytes(4).toString('hex')}`;

describe('security: upgrades and request smuggling', () => {
  let s: SecurityEnv;
  let admin: string;
  /** A user with only `edit` in namespace `team`, as in the issue. */
  let dev: string;
  let secrets: string[];
  const pre = `/clusters/${T}`;
  const pod = (ns: string, name: string, sub: Sub): string =>
    `${pre}/api/v1/namespaces/${ns}/pods/${name}/${sub}?${QUERY[sub]}`;

  /** One Status answer (the host's refusal, rewritten) and a closed connection. */
  const expectRefusedAndClosed = (x: Exchange, code: number, reason?: string): void => {
    expect(
      x.responses.map((r) => r.status),
      x.text,
    ).toEqual([code]);
    const status = JSON.parse(x.responses[0]!.body) as { kind: string; code: number; reason?: string };
    expect(status).toMatchObject({ kind: 'Status', code, ...(reason ? { reason } : {}) });
    expect(x.closed, 'kplex closed the connection').toBe(true);
    expect(x.text).not.toContain(`${T}-`); // host namespace names are rewritten to virtual ones
  };

  const stillServes = async (): Promise<void> => {
    const r = await s.api[T]!.request('GET', '/api/v1/namespaces/default/pods');
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    s = await securityEnv([T]);
    admin = s.api[T]!.headers().authorization!;
    kubectlOk(s.kc[T]!, ['create', 'namespace', 'team']);
    kubectlOk(s.kc[T]!, [
      'create',
      'rolebinding',
      'dev-edit',
      '-n',
      'team',
      '--clusterrole=edit',
      '--user=dev',
    ]);
    const devApi = await apiClient(await s.env.tenant(T, { user: 'dev', groups: [] }));
    dev = devApi.headers().authorization!;
    await devApi.close();
    kubectlOk(s.kc[T]!, ['run', 'p1', '--image=nginx', '-n', 'team']);
    kubectlOk(s.kc[T]!, ['wait', '--for=condition=Ready', 'pod/p1', '-n', 'team', '--timeout=60s']);
    secrets = await hostSecrets(s.hostApi);
  });
  afterAll(async () => s?.close());

  for (const sub of SUBRESOURCES) {
    attack(
      'upgrades',
      `SPDY/3.1 POST ${sub} upgrade for a missing pod with a smuggled secrets GET and kube-system ConfigMap POST`,
      async () => {
        const cm = cmName();
        const x = await exchange(s.env.kplex.url, [
          spdyHead(pod('team', 'nope', sub), dev, sub) + smuggled(cm),
        ]);
        expectRefusedAndClosed(x, 404, 'NotFound');
        expect(x.responses[0]!.body).toContain('pods \\"nope\\" not found');
        await expectNothingSmuggled(s.hostApi, x, cm, secrets);
        await stillServes();
      },
    );

    attack(
      'upgrades',
      `WebSocket GET ${sub} upgrade for a missing pod with a smuggled secrets GET and kube-system ConfigMap POST`,
      async () => {
        const cm = cmName();
        const x = await exchange(s.env.kplex.url, [
          wsHead(pod('team', 'nope', sub), dev, sub) + smuggled(cm),
        ]);
        expectRefusedAndClosed(x, 404, 'NotFound');
        await expectNothingSmuggled(s.hostApi, x, cm, secrets);
        await stillServes();
      },
    );
  }

  attack(
    'upgrades',
    'the smuggled requests in a second write, before the host answered the upgrade',
    async () => {
      const cm = cmName();
      const x = await exchange(s.env.kplex.url, [spdyHead(pod('team', 'nope', 'exec'), dev), smuggled(cm)], {
        gapMs: 1,
      });
      expectRefusedAndClosed(x, 404, 'NotFound');
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack(
    'upgrades',
    'a smuggled request after a SPDY exec upgrade the host accepts stays inside the stream',
    async () => {
      const cm = cmName();
      const x = await exchange(s.env.kplex.url, [spdyHead(pod('team', 'p1', 'exec'), dev) + smuggled(cm)], {
        readMs: 2_000,
      });
      expect(x.responses[0]?.status, x.text).toBe(101);
      expect(x.responses).toHaveLength(1);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
      await stillServes();
    },
  );

  for (const sub of SUBRESOURCES) {
    attack(
      'upgrades',
      `a smuggled request after a WebSocket ${sub} upgrade the host accepts is a bad frame, not a request`,
      async () => {
        const cm = cmName();
        const x = await exchange(s.env.kplex.url, [wsHead(pod('team', 'p1', sub), dev, sub) + smuggled(cm)], {
          readMs: 2_000,
        });
        expect(x.responses[0]?.status, x.text).toBe(101);
        expect(x.responses).toHaveLength(1);
        await expectNothingSmuggled(s.hostApi, x, cm, secrets);
      },
    );
  }

  // The host's errors on a WebSocket's error channel (channel 3, a Status) name the pod as
  // `<host namespace>/<pod>`: kplex rewrites those frames as it rewrites any host answer.
  attack(
    'leaks',
    "a WebSocket attach the host fails with an error naming the pod's namespace: the tenant reads the virtual name",
    async () => {
      const hostNs = (await hostNamespaceOf(s.hostApi, T, 'team'))!;
      expect(hostNs).toBeTruthy();
      const x = await exchange(s.env.kplex.url, [wsHead(pod('team', 'p1', 'attach'), dev, 'attach')], {
        readMs: 10_000,
      });
      expect(x.responses[0]?.status, x.text).toBe(101);
      expect(x.closed).toBe(true);
      expect(x.text).toContain('\x03{'); // the error channel's Status
      expect(x.text).toContain('in pod \\"team/p1\\"');
      expect(x.text).not.toContain(hostNs);
      expect(x.text).not.toContain(`${T}-`);
    },
  );

  attack(
    'leaks',
    'a WebSocket exec the host fails (no such binary): its error names no host namespace',
    async () => {
      const hostNs = (await hostNamespaceOf(s.hostApi, T, 'team'))!;
      const path = `${pre}/api/v1/namespaces/team/pods/p1/exec?command=/no/such/binary&stdout=true&stderr=true`;
      const x = await exchange(s.env.kplex.url, [wsHead(path, dev, 'exec')], { readMs: 10_000 });
      expect(x.responses[0]?.status, x.text).toBe(101);
      expect(x.text).toContain('no such file or directory');
      expect(x.text).not.toContain(hostNs);
      expect(x.text).not.toContain(`${T}-`);
    },
  );

  attack('leaks', 'kubectl attach (WebSocket) failing on the host names the virtual namespace', async () => {
    const hostNs = (await hostNamespaceOf(s.hostApi, T, 'team'))!;
    const r = kubectl(s.kc[T]!, ['attach', 'p1', '-n', 'team']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('in pod "team/p1"');
    expect(r.stderr + r.stdout).not.toContain(hostNs);
  });

  attack(
    'upgrades',
    'a refused exec (unknown container) comes back as the rewritten Status and the connection closes',
    async () => {
      const cm = cmName();
      const path = `${pre}/api/v1/namespaces/team/pods/p1/exec?command=id&stdout=true&container=nope`;
      const x = await exchange(s.env.kplex.url, [spdyHead(path, dev) + smuggled(cm)]);
      expectRefusedAndClosed(x, 400, 'BadRequest');
      expect(x.responses[0]!.body).toContain('container nope is not valid for pod p1');
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack('upgrades', 'an upgrade whose body smuggles a request (Content-Length) is refused 400', async () => {
    const cm = cmName();
    const body = smuggled(cm);
    const h = spdyHead(pod('team', 'p1', 'exec'), dev).replace(
      'Content-Length: 0',
      `Content-Length: ${body.length}`,
    );
    const x = await exchange(s.env.kplex.url, [h + body]);
    expectRefusedAndClosed(x, 400, 'BadRequest');
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack('upgrades', 'an upgrade with a chunked body is refused 400', async () => {
    const cm = cmName();
    const body = smuggled(cm);
    const h = wsHead(pod('team', 'p1', 'exec'), dev, 'exec', ['Transfer-Encoding: chunked']);
    const x = await exchange(s.env.kplex.url, [`${h}${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`]);
    expectRefusedAndClosed(x, 400, 'BadRequest');
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack('upgrades', 'an upgrade with a method other than GET or POST is refused 400', async () => {
    const cm = cmName();
    const h = spdyHead(pod('team', 'p1', 'exec'), dev).replace(/^POST/, 'PUT');
    const x = await exchange(s.env.kplex.url, [h + smuggled(cm)]);
    expectRefusedAndClosed(x, 400, 'BadRequest');
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack('upgrades', 'an upgrade header value with bytes outside visible ASCII is refused 400', async () => {
    const cm = cmName();
    const h = wsHead(pod('team', 'p1', 'exec'), dev).replace('v5.channel.k8s.io,', 'v5.channel.k8s.io\xff,');
    const x = await exchange(s.env.kplex.url, [h + smuggled(cm)]);
    expectRefusedAndClosed(x, 400, 'BadRequest');
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack('upgrades', 'an upgrade kplex forbids (no rights in the namespace) is 403 and closes', async () => {
    const cm = cmName();
    const x = await exchange(s.env.kplex.url, [spdyHead(pod('default', 'nope', 'exec'), dev) + smuggled(cm)]);
    expectRefusedAndClosed(x, 403, 'Forbidden');
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack('upgrades', 'an upgrade with a forged token is 401 and closes', async () => {
    const cm = cmName();
    const x = await exchange(s.env.kplex.url, [
      spdyHead(pod('team', 'p1', 'exec'), `${dev}x`) + smuggled(cm),
    ]);
    expectRefusedAndClosed(x, 401, 'Unauthorized');
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack(
    'upgrades',
    'an upgrade without the /clusters prefix (tenant from the token) is refused the same way',
    async () => {
      const cm = cmName();
      const path = `/api/v1/namespaces/team/pods/nope/exec?${QUERY.exec}`;
      const x = await exchange(s.env.kplex.url, [spdyHead(path, dev) + smuggled(cm)]);
      expectRefusedAndClosed(x, 404, 'NotFound');
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack('upgrades', 'Upgrade headers on a plain list: one answer, then the connection closes', async () => {
    const cm = cmName();
    const x = await exchange(s.env.kplex.url, [
      wsHead(`${pre}/api/v1/namespaces/team/pods`, dev) + smuggled(cm),
    ]);
    expect(x.responses.map((r) => r.status)).toEqual([200]);
    expect(x.closed).toBe(true);
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack(
    'upgrades',
    'Upgrade headers on a create: its body (a smuggled request) never reaches the host',
    async () => {
      const cm = cmName();
      const body = smuggled(cm);
      const h = head(`POST ${pre}/api/v1/namespaces/team/configmaps HTTP/1.1`, [
        'Host: x',
        `Authorization: ${dev}`,
        'Content-Type: application/json',
        'Connection: Upgrade',
        'Upgrade: websocket',
        `Content-Length: ${body.length}`,
      ]);
      const x = await exchange(s.env.kplex.url, [h + body]);
      expect(x.responses).toHaveLength(1);
      expect(x.responses[0]!.status).toBe(400);
      expect(x.closed).toBe(true);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack('upgrades', '40 refused upgrades leave no client or host connection open in kplex', async () => {
    const fds = (): number => readdirSync(`/proc/${s.kplexPid}/fd`).length;
    const before = fds();
    for (let i = 0; i < 40; i++) {
      const x = await exchange(s.env.kplex.url, [
        (i % 2 ? spdyHead : wsHead)(pod('team', `nope-${i}`, 'exec'), dev) + smuggled(cmName()),
      ]);
      expect(x.responses.map((r) => r.status)).toEqual([404]);
      expect(x.closed).toBe(true);
    }
    // Sockets are released once both sides closed; other descriptors (pool, watches) vary a little.
    expect(fds() - before).toBeLessThan(10);
    await stillServes();
  });

  attack('upgrades', 'an unknown upgrade protocol (h2c) on exec for a missing pod', async () => {
    const cm = cmName();
    const h = spdyHead(pod('team', 'nope', 'exec'), dev).replace('Upgrade: SPDY/3.1', 'Upgrade: h2c');
    const x = await exchange(s.env.kplex.url, [h + smuggled(cm)]);
    expect(x.responses).toHaveLength(1);
    expect(x.responses[0]!.status).toBeGreaterThanOrEqual(400);
    expect(x.closed).toBe(true);
    await expectNothingSmuggled(s.hostApi, x, cm, secrets);
  });

  attack(
    'upgrades',
    "a pipelined request after a normal request is kplex's own (unauthenticated: no host data)",
    async () => {
      const cm = cmName();
      const first = head(`GET ${pre}/api/v1/namespaces/team/pods HTTP/1.1`, [
        'Host: x',
        `Authorization: ${dev}`,
      ]);
      const x = await exchange(s.env.kplex.url, [first + smuggled(cm)], { readMs: 3_000 });
      expect(x.responses[0]?.status).toBe(200);
      // The smuggled requests are parsed by kplex as requests of their own, without a credential.
      expect(x.responses.slice(1).every((r) => r.status === 404 || r.status === 401)).toBe(true);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack(
    'upgrades',
    "a pipelined request with the tenant token to kplex-system reads the tenant's own view",
    async () => {
      const cm = cmName();
      const first = head(`GET ${pre}/api/v1/namespaces/team/pods HTTP/1.1`, [
        'Host: x',
        `Authorization: ${admin}`,
      ]);
      const x = await exchange(s.env.kplex.url, [first + smuggled(cm, admin)], { readMs: 3_000 });
      expect(x.responses.map((r) => r.status)).toEqual([200, 200, 201]);
      expect(JSON.parse(x.responses[1]!.body)).toMatchObject({ kind: 'SecretList', items: [] });
      // The ConfigMap lands in the tenant's own kube-system (a virtual namespace), not the host's.
      expect(JSON.parse(x.responses[2]!.body)).toMatchObject({
        metadata: { name: cm, namespace: 'kube-system' },
      });
      await expectNothingSmuggled(
        s.hostApi,
        { ...x, text: x.text.replace('"kind":"SecretList"', '') },
        cm,
        secrets,
      );
    },
  );
});
