// The tenant's kubernetes.io/kube-apiserver-client signer, as kube-controller-manager's csrsigning
// controller: an approved request of that signer gets a certificate from the tenant's client CA,
// the CA kplex verifies tenant client certificates with, so the certificate authenticates to the
// tenant (how users onboard on a real cluster). Requests of other signers are left to the tenant.
import type { KubeObject } from '../api/object.js';
import { KUBE_APISERVER_CLIENT_SIGNER } from '../admission/csr.js';
import type { Logger } from '../log/logger.js';
import type { KeyPairPem } from '../pki/certs.js';
import { signCSR } from '../pki/csr-sign.js';
import { rfc3339 } from '../registry/object-utils.js';
import type { VirtualRegistry } from '../registry/registry.js';

/** kube-controller-manager's --cluster-signing-duration default. */
const CERT_TTL_MS = 365 * 24 * 3600_000;
const MIN_TTL_MS = 10 * 60_000;
const MANAGER = 'kube-controller-manager';

interface Csr extends KubeObject {
  spec?: { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number };
  status?: { certificate?: string; conditions?: { type?: string; status?: string }[] };
}

const hasTrue = (o: Csr, type: string): boolean =>
  (o.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** Whether the signer has work on this request: approved, this signer's, not signed nor failed. */
const wantsCertificate = (o: Csr): boolean =>
  o.spec?.signerName === KUBE_APISERVER_CLIENT_SIGNER &&
  !o.status?.certificate &&
  hasTrue(o, 'Approved') &&
  !hasTrue(o, 'Failed') &&
  !o.metadata?.deletionTimestamp;

/** The signer's reason to refuse the usages (validAPIServerClientUsages), if any. */
function usagesError(usages: readonly string[]): string | undefined {
  for (const u of usages)
    if (u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth')
      return `invalid usage for client certificate: ${u}`;
  return usages.includes('client auth')
    ? undefined
    : 'missing required usage for client certificate: client auth';
}

function ttlMs(expirationSeconds: number | undefined): number {
  if (expirationSeconds === undefined) return CERT_TTL_MS;
  return Math.min(CERT_TTL_MS, Math.max(MIN_TTL_MS, expirationSeconds * 1000));
}

export interface CsrSignerDeps {
  registry: () => VirtualRegistry;
  /** The tenant's client CA, created when it has none. */
  clientCA: () => Promise<KeyPairPem>;
  logger: Logger;
}

export class CsrSigner {
  constructor(private readonly deps: CsrSignerDeps) {}

  /** A CSR was written: sign it after the write returned, when it asks for this signer. */
  written(obj: KubeObject): void {
    if (!wantsCertificate(obj as Csr)) return;
    const name = obj.metadata?.name ?? '';
    setImmediate(() => {
      this.sign(name).catch((err: unknown) =>
        this.deps.logger.error({ err, csr: name }, 'signing a certificate signing request failed'),
      );
    });
  }

  /**
   * Requests approved but never signed (kplex stopped between the approval's commit and the
   * signature): signed when the tenant's runtime starts, as the csrsigning controller's resync does.
   */
  resume(): void {
    const reg = this.deps.registry();
    const { group, resource } = reg.gr;
    let after: string | undefined;
    do {
      const page = reg.store.list({ group, resource, after, limit: 500 });
      for (const item of page.items) this.written(item.object);
      after = page.last;
    } while (after);
  }

  private async sign(name: string): Promise<void> {
    const reg = this.deps.registry();
    const csr = reg.get('', name) as Csr;
    if (!wantsCertificate(csr)) return;
    const refused = usagesError(csr.spec?.usages ?? []);
    let certificate: string | undefined;
    if (!refused) {
      const pem = await signCSR(
        await this.deps.clientCA(),
        Buffer.from(csr.spec?.request ?? '', 'base64').toString('latin1'),
        { usages: csr.spec?.usages ?? [], ttlMs: ttlMs(csr.spec?.expirationSeconds) },
      );
      certificate = Buffer.from(pem).toString('base64');
    }
    // Written on the object as read: a concurrent change makes this a conflict, and the change's
    // own write calls written() again.
    const status = { ...(csr.status ?? {}) };
    if (certificate) status.certificate = certificate;
    else
      status.conditions = [
        ...(status.conditions ?? []),
        {
          type: 'Failed',
          status: 'True',
          reason: 'SignerValidationFailure',
          message: refused,
          lastUpdateTime: rfc3339(new Date()),
        } as { type: string; status: string },
      ];
    await reg.update('', name, { ...csr, status } as KubeObject, {
      user: { username: 'system:kube-controller-manager', groups: ['system:authenticated'] },
      fieldManager: MANAGER,
      dryRun: false,
      fieldValidation: 'Ignore',
      decodeErrors: [],
      warnings: [],
      subresource: 'status',
    });
    await reg.store.durable();
  }
}
