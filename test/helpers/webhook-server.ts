// A real admission webhook for tests: webhook-server.mjs run as its own Node process, with a
// certificate of its own CA. It listens on a non-loopback address of this machine, because the
// host refuses loopback addresses in Endpoints; tenant Services reach it through Endpoints the
// test writes on the host (test/helpers/webhook-config.ts).
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCA, issueCert } from '../../src/pki/certs.js';

export interface ReviewRequest {
  uid: string;
  name?: string;
  namespace?: string;
  operation?: string;
  dryRun?: boolean;
  userInfo?: { username?: string; groups?: string[] };
  kind?: { group: string; version: string; kind: string };
  object?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } } | null;
}

export interface WebhookServer {
  ip: string;
  port: number;
  /** base64 PEM of the server's CA, for clientConfig.caBundle. */
  caBundle: string;
  /** The requests the webhook received at `path` so far. */
  received(path: string): Promise<ReviewRequest[]>;
  close(): Promise<void>;
}

/** The first non-internal IPv4 address of this machine. */
export function machineIP(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  throw new Error('the webhook tests need a non-loopback IPv4 address (the host refuses loopback Endpoints)');
}

const program = path.join(path.dirname(fileURLToPath(import.meta.url)), 'webhook-server.mjs');

export async function startWebhookServer(dnsNames: string[]): Promise<WebhookServer> {
  const ip = machineIP();
  const ca = await createCA('webhook-test-ca');
  const leaf = await issueCert(ca, { commonName: 'webhook', dnsNames, ipAddresses: [ip], server: true });
  const child = spawn(process.execPath, [program], {
    env: { ...process.env, WEBHOOK_CERT: leaf.cert, WEBHOOK_KEY: leaf.key, WEBHOOK_IP: ip },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the webhook server exited with ${code}`)));
  });
  const received = (p: string) =>
    new Promise<ReviewRequest[]>((resolve, reject) => {
      const req = request(
        { host: ip, port, path: '/_received', ca: ca.cert, servername: dnsNames[0] },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(
              (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, ReviewRequest[]>)[p] ?? [],
            ),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  return {
    ip,
    port,
    caBundle: Buffer.from(ca.cert).toString('base64'),
    received,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
