// Exec over a WebSocket as the conformance test "Pods should support remote command execution
// over websockets" opens it (a GET upgrade offering channel.k8s.io, as golang.org/x/net/websocket
// sends it, Origin included), and with the v4/v5 protocols kubectl offers: the tenant's answer is
// the host's, side by side in one run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

interface Side {
  server: string;
  ca: Buffer;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

function sideOf(kc: string): Side {
  const cfg = JSON.parse(
    execFileSync('kubectl', ['--kubeconfig', kc, 'config', 'view', '--raw', '--minify', '-o', 'json'], {
      encoding: 'utf8',
    }),
  ) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
  };
  const b = (s?: string) => (s ? Buffer.from(s, 'base64') : undefined);
  const user = cfg.users[0]!.user;
  return {
    server: cfg.clusters[0]!.cluster.server,
    ca: b(cfg.clusters[0]!.cluster['certificate-authority-data'])!,
    token: user.token,
    cert: b(user['client-certificate-data']),
    key: b(user['client-key-data']),
  };
}

/** Server frames (unmasked) of a byte stream: [opcode, payload]. */
function frames(buf: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  let at = 0;
  while (at + 2 <= buf.length) {
    let len = buf[at + 1]! & 0x7f;
    let start = at + 2;
    if (len === 126) [len, start] = [buf.readUInt16BE(at + 2), at + 4];
    else if (len === 127) [len, start] = [Number(buf.readBigUInt64BE(at + 2)), at + 10];
    if (start + len > buf.length) break;
    out.push([buf[at]! & 0x0f, buf.subarray(start, start + len)]);
    at = start + len;
  }
  return out;
}

/**
 * Opens the exec stream as golang.org/x/net/websocket does (Origin included) and reads it until the
 * server closes: the protocol the server chose and every data message as [channel, text].
 */
function execOverWebSocket(
  s: Side,
  path: string,
  protocols: string[],
): Promise<{ status: string; protocol: string; messages: [number, string][] }> {
  const url = new URL(s.server);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: s.ca,
      ...(s.cert ? { cert: s.cert, key: s.key } : {}),
      servername: /^[\d.]+$/.test(url.hostname) ? undefined : url.hostname,
      ALPNProtocols: ['http/1.1'],
    });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, end).toString('latin1');
      resolve({
        status: head.split('\r\n')[0] ?? '',
        protocol: /^sec-websocket-protocol: *(.*)$/im.exec(head)?.[1] ?? '',
        messages: frames(all.subarray(end + 4))
          .filter(([op, p]) => op === 2 && p.length > 0)
          .map(([, p]): [number, string] => [p[0]!, p.subarray(1).toString('utf8')]),
      });
    });
    sock.once('secureConnect', () => {
      const prefix = url.pathname.replace(/\/$/, '');
      sock.write(
        [
          `GET ${prefix}${path} HTTP/1.1`,
          `Host: ${url.host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Origin: http://localhost',
          `Sec-WebSocket-Protocol: ${protocols.join(', ')}`,
          'Sec-WebSocket-Version: 13',
          ...(s.token ? [`Authorization: Bearer ${s.token}`] : []),
          '',
          '',
        ].join('\r\n'),
      );
    });
  });
}

describe('exec over WebSockets: tenant and host', () => {
  const host = inject('host');
  let env: TenantEnv;
  let tenant: string;
  const name = `ws-exec-${Math.random().toString(36).slice(2, 8)}`;

  const running = async (kc: string) => {
    for (let i = 0; i < 150; i++) {
      if (
        kubectlOk(kc, ['get', 'pod', name, '-n', 'default', '-o', 'jsonpath={.status.phase}']) === 'Running'
      )
        return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`pod ${name} not running`);
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    tenant = await env.tenant('ws-exec-t');
    const pod = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { containers: [{ name: 'main', image: 'busybox', command: ['/bin/sh', '-c', 'sleep 600'] }] },
    });
    for (const kc of [host.kubeconfig, tenant]) kubectlOk(kc, ['create', '-f', '-'], pod);
    await Promise.all([running(host.kubeconfig), running(tenant)]);
  }, 120_000);
  afterAll(async () => {
    kubectl(host.kubeconfig, ['delete', 'pod', name, '-n', 'default', '--wait=false']);
    await env?.close();
  });

  const path = `/api/v1/namespaces/default/pods/${name}/exec?command=echo&command=remote+execution+test&container=main&stderr=1&stdout=1`;

  for (const protocols of [
    ['channel.k8s.io'],
    ['v4.channel.k8s.io'],
    ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
  ])
    it(`runs a command offering ${protocols.join(', ')}`, async () => {
      const [h, t] = await Promise.all([
        execOverWebSocket(sideOf(host.kubeconfig), path, protocols),
        execOverWebSocket(sideOf(tenant), path, protocols),
      ]);
      expect(t).toEqual(h);
      expect(t.status).toBe('HTTP/1.1 101 Switching Protocols');
      // stdout (channel 1) carries the command's output
      expect(
        t.messages
          .filter(([c]) => c === 1)
          .map(([, text]) => text)
          .join(''),
      ).toBe('remote execution test\n');
    });
});
