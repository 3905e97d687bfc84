// One HTTPS POST of an AdmissionReview to a resolved webhook target: its own connection (no
// shared pool a slow webhook of one tenant could hold), the webhook's caBundle as the only trust
// (system roots without one, as the apiserver), its timeout (at most 30 s), and a bounded answer.
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { CallFailure, type Target } from './types.js';

/** The most of a webhook's answer kplex reads (a patch for a large object fits). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
export const MAX_TIMEOUT_SECONDS = 30;

/** `deadline` (epoch ms): when the caller must have its answer, whatever the webhook's timeout. */
export function postReview(
  t: Target,
  body: string,
  timeoutSeconds: number,
  deadline?: number,
): Promise<unknown> {
  const ms = Math.min(
    Math.min(Math.max(timeoutSeconds, 1), MAX_TIMEOUT_SECONDS) * 1000,
    deadline === undefined ? Infinity : Math.max(deadline - Date.now(), 0),
  );
  // As client-go tells the webhook: whole seconds, rounded up.
  const seconds = Math.max(Math.ceil(ms / 1000), 1);
  const url = `${t.display}?timeout=${seconds}s`;
  const fail = (why: string) => new CallFailure(`failed to call webhook: Post "${url}": ${why}`);
  return new Promise((resolve, reject) => {
    const req = request({
      host: t.ip,
      port: t.port,
      path: `${t.path}?timeout=${seconds}s`,
      method: 'POST',
      agent: false,
      servername: isIPName(t.serverName) ? undefined : t.serverName,
      ca: t.ca,
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(t.serverName, cert),
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Content-Length': Buffer.byteLength(body),
      },
    });
    const timer = setTimeout(() => req.destroy(fail('context deadline exceeded')), ms);
    const done = () => clearTimeout(timer);
    req.on('error', (err) => {
      done();
      reject(err instanceof CallFailure ? err : fail(connectError(err)));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) req.destroy(fail(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        done();
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code < 200 || code >= 300)
          return reject(
            fail(`the server responded with the status code ${code} but did not return more information`),
          );
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new CallFailure('received invalid webhook response: the response is not JSON'));
        }
      });
      res.on('error', (err) => {
        done();
        reject(err instanceof CallFailure ? err : fail(err.message));
      });
    });
    req.end(body);
  });
}

const isIPName = (s: string): boolean => /^[\d.]+$|:/.test(s);

/** The connect error without the address it went to (that could be the host's, not the tenant's). */
function connectError(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'dial tcp: connect: connection refused';
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'dial tcp: connect: no route to host';
    default:
      // TLS verification errors name the certificate, not the address.
      return err.code?.startsWith('ERR_TLS') || /certificate|self.signed/i.test(err.message)
        ? `tls: failed to verify certificate: ${err.message}`
        : err.message;
  }
}
