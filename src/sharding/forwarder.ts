// Forwards a request for a tenant of another shard to the replica holding that shard's Lease,
// over TLS with this replica's peer certificate, verifying the owner by the serving CA it
// published in the Lease. Plain requests and watches are piped both ways (a watch streams as the
// owner writes it); an upgrade (exec, attach, port-forward) becomes a byte pipe after the owner's
// 101. An owner that cannot be reached answers 503 with Retry-After, within a second.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { peerCertificate } from '../auth/credentials.js';
import { statusFailure } from '../api/status.js';
import { writeError } from '../api/respond.js';
import type { KeyPairPem } from '../pki/certs.js';
import type { ShardOwner } from './lease-view.js';
import { forwardedRequestHeaders, forwardedResponseHeaders, switchingHead } from './forward-headers.js';

const CONNECT_TIMEOUT_MS = 1000;

export const ownerUnavailable = (tenant: string, why: string) =>
  statusFailure(503, 'ServiceUnavailable', `tenant "${tenant}" is not served right now: ${why}`, {
    retryAfterSeconds: 1,
  });

export class Forwarder {
  private readonly agents = new Map<string, https.Agent>();

  constructor(
    private readonly identity: string,
    private readonly credential: KeyPairPem,
  ) {}

  /** The connection pool to an owner (TLS with this replica's certificate, the owner's CA pinned). */
  agent(owner: ShardOwner): https.Agent {
    const key = `${owner.address}\0${owner.servingCA}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new https.Agent({
        keepAlive: true,
        maxSockets: 512,
        ca: owner.servingCA,
        cert: this.credential.cert,
        key: this.credential.key,
        // The CA is pinned by the Lease (one per owner): any name of its certificate will do.
        checkServerIdentity: () => undefined,
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  forward(req: IncomingMessage, res: ServerResponse, tenant: string, owner: ShardOwner): Promise<void> {
    const upgrade = (req as IncomingMessage & { upgradeHead?: Buffer }).upgradeHead;
    const url = new URL(owner.address);
    const out = https.request({
      agent: this.agent(owner),
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.url,
      headers: forwardedRequestHeaders(
        req.headers,
        this.identity,
        peerCertificate(req),
        upgrade !== undefined,
      ),
    });
    return new Promise<void>((resolve) => {
      let answered = false;
      const unavailable = (why: string): void => {
        if (answered) return;
        answered = true;
        writeError(res, ownerUnavailable(tenant, why));
        resolve();
      };
      out.on('socket', (s) => {
        // Small requests and answers go out at once: with Nagle's algorithm against the peer's
        // delayed ACK every forwarded request waited ~40 ms (measured).
        s.setNoDelay(true);
        req.socket.setNoDelay(true);
        if (!s.connecting) return;
        const timer = setTimeout(() => {
          out.destroy(new Error('connect timeout'));
        }, CONNECT_TIMEOUT_MS);
        s.once('secureConnect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
      });
      out.on('error', () => {
        if (!answered) unavailable('its replica is unreachable');
        else res.destroy();
      });
      out.on('response', (answer) => {
        answered = true;
        // The owner does not read a connection it answered 429 until the Retry-After has passed
        // (limits/refusal-backoff.ts): this pool's connections carry every tenant, so that one is
        // closed after the answer instead of holding another tenant's next request.
        if (answer.statusCode === 429) out.shouldKeepAlive = false;
        res.writeHead(answer.statusCode ?? 502, forwardedResponseHeaders(answer.headers));
        res.flushHeaders();
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        answer.on('aborted', () => res.destroy());
        res.on('close', () => {
          if (!answer.complete) out.destroy();
          resolve();
        });
      });
      out.on('upgrade', (answer, upstream, rest) => {
        answered = true;
        pipeUpgrade(
          req.socket,
          upstream,
          switchingHead(answer.statusMessage, answer.rawHeaders),
          rest,
          upgrade,
        );
        resolve();
      });
      res.on('close', () => {
        if (!answered) out.destroy();
      });
      if (upgrade !== undefined) out.end();
      else req.pipe(out);
    });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** Client and owner joined byte for byte after the owner's 101; either end closing ends both. */
function pipeUpgrade(
  client: Duplex,
  upstream: Duplex,
  head: string,
  rest: Buffer,
  clientHead?: Buffer,
): void {
  const done = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', done).on('close', done);
  upstream.on('error', done).on('close', done);
  client.write(head);
  if (rest.length) client.write(rest);
  if (clientHead?.length) upstream.write(clientHead);
  upstream.pipe(client);
  client.pipe(upstream);
}
