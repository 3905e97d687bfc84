// exec / attach / portforward: the client's connection upgrade (SPDY/3.1 or WebSocket) forwarded
// to the host apiserver on a dedicated TLS connection with kplex's host credentials, then bytes
// copied both ways. The stream carries container I/O, which is not rewritten. The request path
// and query were already rewritten by passthrough; only headers that negotiate the upgrade pass.
import type { IncomingMessage } from 'node:http';
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

export function proxyUpgrade(host: HostClient, req: UpgradeRequest, pathAndQuery: string): Promise<void> {
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
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', done);
    client.on('error', done);
    upstream.on('close', done);
    client.on('close', done);
  });
}
