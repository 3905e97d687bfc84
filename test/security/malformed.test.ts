// Malformed input on every path that carries client bytes to the host (plain requests, watches,
// logs, bodies): CR/LF in names, query values and header values, Content-Length/Transfer-Encoding
// conflicts, pipelining, huge headers, absolute-form targets, Host games, Expect: 100-continue.
// kplex only sends the host requests it built (a rebuilt path, re-encoded query, its own headers),
// so each attack must end in a Status or 400 (or a closed connection), never host data, never a
// 5xx, and kplex keeps serving. Smuggled requests are checked on the host with the host admin.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { kubectlOk } from '../helpers/kubectl.js';
import { attack, securityEnv, type SecurityEnv } from './harness.js';
import {
  exchange,
  expectNothingSmuggled,
  head,
  hostSecrets,
  jsonRequest,
  smuggled,
  type Exchange,
} from './raw-http.js';

const T = 'sec-malformed';

describe('security: malformed input', () => {
  let s: SecurityEnv;
  let auth: string;
  let secrets: string[];
  const pre = `/clusters/${T}`;
  const cmName = (): string => `smuggled-${randomBytes(4).toString('hex')}`;

  const get = (target: string, extra: string[] = []): string =>
    head(`GET ${target} HTTP/1.1`, ['Host: x', `Authorization: ${auth}`, 'Connection: close', ...extra]);

  /** A single Kubernetes Status answer with `code`, and nothing of the host. */
  const expectStatus = (x: Exchange, code: number, reason?: string): Record<string, unknown> => {
    expect(
      x.responses.map((r) => r.status),
      x.text,
    ).toEqual([code]);
    const body = JSON.parse(x.responses[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ kind: 'Status', code, ...(reason ? { reason } : {}) });
    expect(x.text).not.toContain(`${T}-`);
    return body;
  };

  /** Node's parser refused the bytes: a bare 400 (or 431) and the connection closed. */
  const expectParserRefusal = (x: Exchange, code = 400): void => {
    expect(
      x.responses.map((r) => r.status),
      x.text,
    ).toEqual([code]);
    expect(x.closed).toBe(true);
  };

  const stillServes = async (): Promise<void> => {
    const r = await s.api[T]!.request('GET', '/api/v1/namespaces/default/configmaps');
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    s = await securityEnv([T]);
    auth = s.api[T]!.headers().authorization!;
    kubectlOk(s.kc[T]!, ['run', 'p1', '--image=nginx']);
    kubectlOk(s.kc[T]!, ['wait', '--for=condition=Ready', 'pod/p1', '--timeout=60s']);
    secrets = await hostSecrets(s.hostApi);
  });
  afterAll(async () => s?.close());

  attack('malformed', '%0d%0a in a pod name carries no second request: 404 Status', async () => {
    const x = await exchange(s.env.kplex.url, [
      get(
        `${pre}/api/v1/namespaces/default/pods/x%0d%0aGET%20/api/v1/namespaces/kplex-system/secrets%20HTTP/1.1`,
      ),
    ]);
    expectStatus(x, 404, 'NotFound');
    for (const sec of secrets) expect(x.text).not.toContain(sec);
  });

  attack('malformed', '%0d%0a in a namespace segment: the namespace is just a name nobody has', async () => {
    const x = await exchange(s.env.kplex.url, [
      get(`${pre}/api/v1/namespaces/x%0d%0aHost:%20y%0d%0a/pods/p1`),
    ]);
    expectStatus(x, 404, 'NotFound');
  });

  attack('malformed', "%0d%0a in a labelSelector query value is the host's 400 Status", async () => {
    const x = await exchange(s.env.kplex.url, [
      get(`${pre}/api/v1/namespaces/default/pods?labelSelector=a%0d%0aGET%20/api/v1/secrets%20HTTP/1.1`),
    ]);
    expectStatus(x, 400, 'BadRequest');
  });

  attack(
    'malformed',
    '%0d%0a in a watch fieldSelector value is only a value: the watch matches nothing',
    async () => {
      const x = await exchange(
        s.env.kplex.url,
        [
          get(
            `${pre}/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dp1%0d%0aGET%20/%20HTTP/1.1`,
          ),
        ],
        { readMs: 1_500 },
      );
      expect(
        x.responses.map((r) => r.status),
        x.text,
      ).toEqual([200]);
      expect(x.text).not.toContain('"type":"ADDED"');
      expect(x.text).not.toContain(`${T}-`);
      await stillServes();
    },
  );

  attack('malformed', 'CONNECT to the host apiserver address opens no tunnel', async () => {
    const hostAddr = new URL(s.hostApi.origin).host;
    const x = await exchange(s.env.kplex.url, [
      head(`CONNECT ${hostAddr} HTTP/1.1`, [`Host: ${hostAddr}`, `Authorization: ${auth}`]) +
        smuggled('smuggled-connect'),
    ]);
    expect(x.closed).toBe(true);
    expect(x.responses.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
    await expectNothingSmuggled(s.hostApi, x, 'smuggled-connect', secrets);
  });

  attack('malformed', "%0d%0a in a followed log's container is the host's 400 Status", async () => {
    const x = await exchange(s.env.kplex.url, [
      get(`${pre}/api/v1/namespaces/default/pods/p1/log?follow=true&container=x%0d%0aGET%20/%20HTTP/1.1`),
    ]);
    const body = expectStatus(x, 400, 'BadRequest');
    expect(body['message']).toContain('is not valid for pod p1');
  });

  attack('malformed', "CR/LF in a created object's name is the host's 422, nothing created", async () => {
    const name = 'a\r\nGET /api/v1/namespaces/kplex-system/secrets HTTP/1.1\r\n';
    const x = await exchange(s.env.kplex.url, [
      jsonRequest(
        'POST',
        `${pre}/api/v1/namespaces/default/configmaps`,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
        [`Authorization: ${auth}`, 'Connection: close'],
      ),
    ]);
    expectStatus(x, 422, 'Invalid');
    for (const sec of secrets.filter((v) => v !== 'kplex-system')) expect(x.text).not.toContain(sec);
  });

  attack(
    'malformed',
    'CR/LF in a label value and a fieldManager query value: 4xx Status, nothing of the host',
    async () => {
      const cm = cmName();
      const x = await exchange(s.env.kplex.url, [
        jsonRequest(
          'POST',
          `${pre}/api/v1/namespaces/default/configmaps?fieldManager=m%0d%0aHost:%20kube-system`,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm, labels: { a: 'b\r\nc' } } },
          [`Authorization: ${auth}`, 'Connection: close'],
        ),
      ]);
      expect(x.responses).toHaveLength(1);
      expect(x.responses[0]!.status).toBeGreaterThanOrEqual(400);
      expect(x.responses[0]!.status).toBeLessThan(500);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack(
    'malformed',
    'a bare LF in a header value is refused by the parser and the connection closes',
    async () => {
      const cm = cmName();
      const x = await exchange(s.env.kplex.url, [
        head(`GET ${pre}/api/v1/namespaces/default/pods HTTP/1.1`, [
          'Host: x',
          `Authorization: ${auth}`,
          'X-A: b\nGET /api/v1/namespaces/kplex-system/secrets HTTP/1.1',
        ]) + smuggled(cm),
      ]);
      expectParserRefusal(x);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack('malformed', 'an obs-fold header continuation is refused 400', async () => {
    const x = await exchange(s.env.kplex.url, [
      head(`GET ${pre}/api/v1/namespaces/default/pods HTTP/1.1`, [
        'Host: x',
        `Authorization: ${auth}`,
        'X-A: a',
        ' b',
      ]),
    ]);
    expectParserRefusal(x);
  });

  attack(
    'malformed',
    'Content-Length with Transfer-Encoding (CL.TE) is refused and the smuggled tail never runs',
    async () => {
      const cm = cmName();
      const tail = smuggled(cm);
      const x = await exchange(s.env.kplex.url, [
        head(`POST ${pre}/api/v1/namespaces/default/configmaps HTTP/1.1`, [
          'Host: x',
          `Authorization: ${auth}`,
          'Content-Type: application/json',
          `Content-Length: ${5 + tail.length}`,
          'Transfer-Encoding: chunked',
        ]) + `0\r\n\r\n${tail}`,
      ]);
      expectParserRefusal(x);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack('malformed', 'two different Content-Length headers are refused 400', async () => {
    const x = await exchange(s.env.kplex.url, [
      head(`POST ${pre}/api/v1/namespaces/default/configmaps HTTP/1.1`, [
        'Host: x',
        `Authorization: ${auth}`,
        'Content-Length: 4',
        'Content-Length: 40',
      ]) + 'abcd',
    ]);
    expectParserRefusal(x);
  });

  for (const te of ['xchunked', 'chunked, identity', 'identity', 'chunked\x0b']) {
    attack('malformed', `an obfuscated Transfer-Encoding (${JSON.stringify(te)}) is refused`, async () => {
      const cm = cmName();
      const x = await exchange(s.env.kplex.url, [
        head(`POST ${pre}/api/v1/namespaces/default/configmaps HTTP/1.1`, [
          'Host: x',
          `Authorization: ${auth}`,
          'Content-Type: application/json',
          `Transfer-Encoding: ${te}`,
        ]) + `0\r\n\r\n${smuggled(cm)}`,
      ]);
      expect(x.responses[0]?.status, x.text).toBeGreaterThanOrEqual(400);
      expect(x.responses[0]?.status).toBeLessThan(500);
      expect(x.closed).toBe(true);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    });
  }

  attack('malformed', 'a chunked body with a bad chunk size is refused and closes', async () => {
    const x = await exchange(s.env.kplex.url, [
      head(`POST ${pre}/api/v1/namespaces/default/configmaps HTTP/1.1`, [
        'Host: x',
        `Authorization: ${auth}`,
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
      ]) + 'zz\r\nabc\r\n0\r\n\r\n',
    ]);
    expectParserRefusal(x);
  });

  attack(
    'malformed',
    'bytes past a short Content-Length are parsed by kplex as its own next request',
    async () => {
      const cm = cmName();
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${cm}-t` } });
      const x = await exchange(
        s.env.kplex.url,
        [
          head(`POST ${pre}/api/v1/namespaces/default/configmaps HTTP/1.1`, [
            'Host: x',
            `Authorization: ${auth}`,
            'Content-Type: application/json',
            `Content-Length: ${body.length}`,
          ]) +
            body +
            smuggled(cm),
        ],
        { readMs: 3_000 },
      );
      expect(x.responses.map((r) => r.status)).toEqual([201, 404, 404]);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
    },
  );

  attack('malformed', 'a 70 KB header is 431 and closes; kplex keeps serving', async () => {
    const x = await exchange(s.env.kplex.url, [
      get(`${pre}/api/v1/namespaces/default/pods`, [`X-Big: ${'a'.repeat(70_000)}`]),
    ]);
    expectParserRefusal(x, 431);
    await stillServes();
  });

  attack(
    'malformed',
    'an absolute-form target naming the host apiserver reaches nothing of the host',
    async () => {
      const x = await exchange(s.env.kplex.url, [
        get(`${s.hostApi.origin}/api/v1/namespaces/kplex-system/secrets`),
      ]);
      expectStatus(x, 400, 'BadRequest');
      for (const sec of secrets) expect(x.text).not.toContain(sec);
    },
  );

  attack(
    'malformed',
    'an absolute-form target with the tenant path is 400, not served from another origin',
    async () => {
      const x = await exchange(s.env.kplex.url, [
        get(`https://evil.example${pre}/api/v1/namespaces/default/pods`),
      ]);
      expectStatus(x, 400, 'BadRequest');
    },
  );

  attack(
    'malformed',
    'Host header games (the host apiserver, two Host headers, X-Forwarded-Host) change nothing',
    async () => {
      const hostAddr = new URL(s.hostApi.origin).host;
      for (const extra of [
        [`Host: ${hostAddr}`],
        ['Host: a', 'Host: b'],
        ['X-Forwarded-Host: kube-apiserver', 'X-Forwarded-Prefix: /api/v1/namespaces/kplex-system'],
      ]) {
        const x = await exchange(s.env.kplex.url, [
          head(`GET ${pre}/api/v1/namespaces/kplex-system/secrets HTTP/1.1`, [
            `Authorization: ${auth}`,
            'Connection: close',
            ...extra,
          ]),
        ]);
        expect(x.responses).toHaveLength(1);
        expect(x.responses[0]!.status).toBeLessThan(500);
        for (const sec of secrets.filter((v) => v !== 'kplex-system' && v !== 'SecretList'))
          expect(x.text).not.toContain(sec);
        expect(x.text).not.toContain('"namespace":"kplex-system"');
      }
    },
  );

  attack(
    'malformed',
    "Expect: 100-continue creates in the tenant only; the tail after the body is kplex's own request",
    async () => {
      const cm = cmName();
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm } });
      const x = await exchange(
        s.env.kplex.url,
        [
          head(`POST ${pre}/api/v1/namespaces/default/configmaps HTTP/1.1`, [
            'Host: x',
            `Authorization: ${auth}`,
            'Content-Type: application/json',
            'Expect: 100-continue',
            `Content-Length: ${body.length}`,
          ]),
          body + smuggled(cm),
        ],
        { gapMs: 200, readMs: 3_000 },
      );
      expect(x.text.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
      expect(x.responses.map((r) => r.status)).toEqual([201, 404, 404]);
      await expectNothingSmuggled(s.hostApi, x, cm, secrets);
      expect(kubectlOk(s.kc[T]!, ['get', 'configmap', cm, '-o', 'name']).trim()).toBe(`configmap/${cm}`);
    },
  );

  attack('malformed', 'a raw NUL or space in the request target is refused by the parser', async () => {
    for (const target of [
      `${pre}/api/v1/namespaces/default/pods\x00`,
      `${pre}/api/v1/namespaces/default/pods x`,
    ]) {
      const x = await exchange(s.env.kplex.url, [get(target)]);
      expectParserRefusal(x);
    }
  });

  attack('malformed', 'an encoded slash or dot segment in a name is 400', async () => {
    for (const name of ['a%2F..%2F..%2Fkplex-system', '%2e%2e']) {
      const x = await exchange(s.env.kplex.url, [get(`${pre}/api/v1/namespaces/default/secrets/${name}`)]);
      expectStatus(x, 400, 'BadRequest');
    }
  });

  attack(
    'malformed',
    'methods the apiserver does not serve (OPTIONS, PROPFIND, TRACE) are 405 Status',
    async () => {
      for (const method of ['OPTIONS', 'PROPFIND', 'TRACE']) {
        const x = await exchange(s.env.kplex.url, [
          head(`${method} ${pre}/api/v1/namespaces/default/pods/p1 HTTP/1.1`, [
            'Host: x',
            `Authorization: ${auth}`,
            'Connection: close',
          ]),
        ]);
        expectStatus(x, 405, 'MethodNotAllowed');
      }
    },
  );

  attack('malformed', 'a patch content type with bytes outside ASCII is 415 Status', async () => {
    const x = await exchange(s.env.kplex.url, [
      head(`PATCH ${pre}/api/v1/namespaces/default/pods/p1 HTTP/1.1`, [
        'Host: x',
        `Authorization: ${auth}`,
        'Connection: close',
        'Content-Type: application/merge-patch+json\xff',
        'Content-Length: 2',
      ]) + '{}',
    ]);
    expectStatus(x, 415, 'UnsupportedMediaType');
  });

  attack(
    'malformed',
    'a malformed Impersonate-Extra-%ZZ header name is answered as the host answers it, not 500',
    async () => {
      const path = '/api/v1/namespaces/default/pods';
      const headers = { 'impersonate-user': 'bob', 'impersonate-extra-%zz': 'v', accept: 'application/json' };
      const onHost = await s.hostApi.dispatcher.request({
        origin: s.hostApi.origin,
        path,
        method: 'GET',
        headers: s.hostApi.headers(headers),
      });
      const hostBody = (await onHost.body.json()) as { code: number; reason: string; message: string };
      const x = await exchange(s.env.kplex.url, [
        get(`${pre}${path}`, ['Impersonate-User: bob', 'Impersonate-Extra-%ZZ: v']),
      ]);
      const body = expectStatus(x, onHost.statusCode, hostBody.reason);
      expect(body['message']).toBe(hostBody.message);
    },
  );

  attack(
    'malformed',
    'an HTTP/1.0 request without Host and a garbage version are handled without a crash',
    async () => {
      const ok = await exchange(s.env.kplex.url, [
        `GET ${pre}/api/v1/namespaces/default/configmaps HTTP/1.0\r\nAuthorization: ${auth}\r\n\r\n`,
      ]);
      expect(ok.responses.map((r) => r.status)).toEqual([200]);
      expect(ok.closed).toBe(true);
      const bad = await exchange(s.env.kplex.url, [
        `GET ${pre}/api/v1/namespaces/default/configmaps HTTP/9.9\r\n\r\n`,
      ]);
      expect(bad.responses.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
      expect(bad.closed).toBe(true);
      await stillServes();
    },
  );
});
