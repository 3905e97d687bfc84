// Who may call the pod webhook: a caller whose client certificate chains to the configured
// webhook client CA (the host apiserver); nobody when none is configured, anybody only with the
// insecure switch.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseCABundle, webhookCallers } from '../../../src/auth/webhook-callers.js';
import { createCA, issueCert, X509Certificate } from '../../../src/pki/certs.js';

const DAY = 86_400_000;
/** A request whose TLS connection presented `cert` (or none). */
const requestWith = (cert?: string) =>
  ({
    headers: {},
    socket: {
      getPeerCertificate: () => (cert ? { raw: Buffer.from(new X509Certificate(cert).rawData) } : {}),
    },
  }) as unknown as IncomingMessage;

describe('pod webhook callers', async () => {
  const ca = await createCA('webhook-client-ca');
  const other = await createCA('tenant-ca');
  const apiserver = await issueCert(ca, { commonName: 'kube-apiserver-webhook-client', client: true });
  const check = webhookCallers({ caPem: ca.cert });

  it('lets the host apiserver (a client certificate of the trusted CA) call', async () => {
    expect(await check(requestWith(apiserver.cert))).toBeUndefined();
  });

  it('refuses a caller without a certificate, or with any other, as 401 Unauthorized', async () => {
    const forged = await createCA('webhook-client-ca'); // same subject, another key
    const refusedCerts = [
      undefined,
      (await issueCert(other, { commonName: 'admin', organizations: ['system:masters'], client: true })).cert,
      (await issueCert(forged, { commonName: 'kube-apiserver-webhook-client', client: true })).cert,
      (await issueCert(ca, { commonName: 'kube-apiserver-webhook-client', server: true })).cert, // not for client auth
      (
        await issueCert(ca, {
          commonName: 'kube-apiserver-webhook-client',
          client: true,
          notBefore: new Date(Date.now() - 2 * DAY),
          notAfter: new Date(Date.now() - DAY),
        })
      ).cert,
    ];
    for (const cert of refusedCerts) {
      const refused = await check(requestWith(cert));
      expect(refused?.status).toMatchObject({
        kind: 'Status',
        code: 401,
        reason: 'Unauthorized',
        message: 'Unauthorized',
      });
    }
  });

  it("verifies a connection's certificate once: later requests on it reuse the verdict", async () => {
    let reads = 0;
    const socket = {
      getPeerCertificate: () => {
        reads++;
        return { raw: Buffer.from(new X509Certificate(apiserver.cert).rawData) };
      },
    };
    const req = { headers: {}, socket } as unknown as IncomingMessage;
    for (let i = 0; i < 5; i++) expect(await check(req)).toBeUndefined();
    expect(reads).toBe(1);
    // Another connection is judged on its own.
    expect((await check(requestWith()))?.status.code).toBe(401);
  });

  it('trusts every CA of a bundle (a rotation) and refuses a file without one', async () => {
    const next = await createCA('webhook-client-ca-next');
    const both = webhookCallers({ caPem: `${ca.cert}\n${next.cert}` });
    const fromNext = await issueCert(next, { commonName: 'kube-apiserver', client: true });
    expect(await both(requestWith(apiserver.cert))).toBeUndefined();
    expect(await both(requestWith(fromNext.cert))).toBeUndefined();
    expect(() => parseCABundle('not a certificate')).toThrow(/no PEM certificate/);
  });

  it('refuses everyone with 403 when no CA is configured, and lets anyone call only when told to', async () => {
    const none = webhookCallers({});
    for (const cert of [undefined, apiserver.cert])
      expect((await none(requestWith(cert)))?.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(await webhookCallers({ insecureAnyCaller: true })(requestWith())).toBeUndefined();
  });
});
