// exec / attach / portforward: the client's connection upgrade (SPDY/3.1 or WebSocket) forwarded
// to the host apiserver on a dedicated TLS connection with kplex's host credentials, then bytes
// copied both ways. The stream carries container I/O, which is not rewritten. The request path
// and query were already rewritten by passthrough; only headers that negotiate the upgrade pass.
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { HostClient } from './host-client.js';

/** Set by the server on requests that arrived as an HTTP upgrade: the socket and its first bytes. */
export interface UpgradeRequest extends IncomingMessage {
  upgradeHead?: Buffer;
}

const FORWARDED_HEADERS =
  /^(upgrade|connection|sec-websocket-.*|x-stream-protocol-version|user-agent|content-length)$/i;

export function isUpgrade(req: IncomingMessage): req is UpgradeRequest {
  return (req as UpgradeRequest).upgradeHead !== undefined;
}

/** Reads the rest of a non-101 answer and rebuilds it with its text rewritten for the tenant. */
async function refusal(
  head: Buffer,
  end: number,
  upstream: Duplex,
  rewriteText: (text: string) => string,
): Promise<Buffer> {
  const chunks = [head.subarray(end + 4)];
  upstream.resume();
  await new Promise<void>((r) => {
    upstream.on('data', (c: Buffer) => chunks.push(c));
    upstream.once('end', r);
    upstream.once('close', r);
    setTimeout(r, 5_000).unref();
  });
  const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1').split(' ')[1] ?? '500';
  const body = Buffer.from(rewriteText(Buffer.concat(chunks).toString('utf8')));
  return Buffer.from(
    `HTTP/1.1 ${status} ${STATUS_CODES[Number(status)] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
      body.toString('latin1'),
    'latin1',
  );
}

export function proxyUpgrade(
  host: HostClient,
  req: UpgradeRequest,
  pathAndQuery: string,
  rewriteText: (text: string) => string = (t) => t,
): Promise<void> {
  const client = req.socket as Duplex;
  const url = new URL(host.origin);
  return new Promise((resolve) => {
    const upstream = tls.connect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
      ca: host.conn.ca,
      cert: host.conn.cert,
      key: host.conn.key,
      rejectUnauthorized: !host.conn.insecureSkipTLSVerify,
      ALPNProtocols: ['http/1.1'],
    });
    let refusing = false;
    const done = (): void => {
      upstream.destroy();
      client.destroy();
      resolve();
    };
    upstream.once('secureConnect', () => {
      const lines = [`${req.method ?? 'GET'} ${host.basePath}${pathAndQuery} HTTP/1.1`, `Host: ${url.host}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (FORWARDED_HEADERS.test(req.rawHeaders[i]!))
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      const auth = host.headers()['authorization'];
      if (auth) lines.push(`Authorization: ${auth}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (req.upgradeHead?.length) upstream.write(req.upgradeHead);
      // Until the host's response head is complete: 101 → splice the sockets; anything else is a
      // refusal whose body (a Status) is rewritten like every other response.
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        upstream.off('data', onData);
        if (/^HTTP\/1\.1 101 /.test(head.subarray(0, 16).toString('latin1'))) {
          client.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
          return;
        }
        refusing = true;
        void refusal(head, end, upstream, rewriteText).then((r) => {
          client.end(r, () => done());
        });
      };
      upstream.on('data', onData);
    });
    upstream.on('error', done);
    client.on('error', done);
    upstream.on('close', () => !refusing && done());
    client.on('close', done);
  });
}
