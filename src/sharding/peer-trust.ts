// Replica-to-replica trust. Replicas share one peer CA (a host Secret in kplex's namespace, made
// by the first replica); each issues itself a client certificate from it at start. A request
// whose TLS connection presents a certificate of that CA comes from a replica: only then are the
// forwarding headers (the original client's certificate) believed. Tenants never hold the CA's
// key, so they cannot make such a connection, and their copies of the headers are removed.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ensureKeysNamespace, KEYS_NAMESPACE } from '../auth/key-store.js';
import { peerCertificate } from '../auth/credentials.js';
import type { HostClient } from '../hostapi/host-client.js';
import { createCA, issueCert, loadCA, type KeyPairPem } from '../pki/certs.js';

const SECRET = 'kplex-peer-ca';
const SECRETS = `/api/v1/namespaces/${KEYS_NAMESPACE}/secrets`;
const PEER_CN_PREFIX = 'kplex-replica:';

interface SecretBody {
  data?: Record<string, string>;
}

/** The shared peer CA, made once (of two replicas racing, the second reads the first's). */
async function peerCA(host: HostClient): Promise<KeyPairPem> {
  const read = async (): Promise<KeyPairPem | undefined> => {
    const res = await host.request<SecretBody>('GET', `${SECRETS}/${SECRET}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`reading the peer CA: host answered ${res.status}`);
    const d = res.body.data ?? {};
    const pem = (k: string): string => Buffer.from(d[k] ?? '', 'base64').toString('utf8');
    return { cert: pem('tls.crt'), key: pem('tls.key') };
  };
  const found = await read();
  if (found) return found;
  await ensureKeysNamespace(host);
  const ca = await createCA('kplex-peer-ca');
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const res = await host.request('POST', SECRETS, {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: SECRET, namespace: KEYS_NAMESPACE },
    data: { 'tls.crt': b64(ca.cert), 'tls.key': b64(ca.key) },
  });
  if (res.status === 201) return { cert: ca.cert, key: ca.key };
  if (res.status !== 409) throw new Error(`creating the peer CA: host answered ${res.status}`);
  const raced = await read();
  if (!raced) throw new Error('the peer CA Secret vanished');
  return raced;
}

export class PeerTrust {
  /** Verdicts per TLS connection (a keep-alive connection presents one certificate). */
  private readonly verdicts = new WeakMap<object, string | null>();

  private constructor(
    private readonly ca: X509Certificate,
    /** This replica's client credential for forwarding. */
    readonly credential: KeyPairPem,
  ) {}

  static async load(host: HostClient, identity: string): Promise<PeerTrust> {
    const pem = await peerCA(host);
    const ca = await loadCA(pem);
    const credential = await issueCert(ca, { commonName: PEER_CN_PREFIX + identity, client: true, days: 30 });
    return new PeerTrust(new X509Certificate(pem.cert), credential);
  }

  /** The replica identity of the request's connection, if a replica's certificate is presented. */
  replicaOf(req: IncomingMessage): string | undefined {
    const conn = req.socket as object;
    const known = this.verdicts.get(conn);
    if (known !== undefined) return known ?? undefined;
    const verdict = this.verify(peerCertificate(req));
    this.verdicts.set(conn, verdict ?? null);
    return verdict;
  }

  private verify(der: Buffer | undefined): string | undefined {
    if (!der) return undefined;
    try {
      const cert = new X509Certificate(der);
      const now = Date.now();
      if (!cert.checkIssued(this.ca) || !cert.verify(this.ca.publicKey)) return undefined;
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) return undefined;
      const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
      return cn.startsWith(PEER_CN_PREFIX) ? cn.slice(PEER_CN_PREFIX.length) : undefined;
    } catch {
      return undefined;
    }
  }
}
