// kplex as its tenants' ServiceAccount token issuer. TokenRequest (`kubectl create token`,
// serviceaccounts/<name>/token) is answered by kplex with a kplex-signed token naming the VIRTUAL
// namespace, never forwarded to the host: a host token would authenticate on the host. kplex
// accepts its own ServiceAccount tokens only while the account (and the object the token is
// bound to) still exist with the UIDs the token names, as the apiserver's token authenticator does.
import { fieldErr } from '../api/field-errors.js';
import { LRUCache } from 'lru-cache';
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import {
  badRequest,
  conflict,
  invalid,
  methodNotSupported,
  notFound,
  type FieldError,
} from '../api/status.js';
import type { SigningKey } from './signing-keys.js';
import { mintServiceAccountToken, type BoundObject, type ServiceAccountClaims } from './tokens.js';

/** Reads a namespaced core object of the tenant from the host (through its namespace mapping). */
export type TenantObjectReader = (
  tenant: string,
  namespace: string,
  resource: 'serviceaccounts' | 'pods' | 'secrets',
  name: string,
) => Promise<KubeObject | undefined>;

export const TOKEN_REQUEST = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' };
const DEFAULT_EXPIRATION = 3600;
const MIN_EXPIRATION = 600;
const MAX_EXPIRATION = 2 ** 32;
const BINDABLE: Record<string, 'pods' | 'secrets'> = { Pod: 'pods', Secret: 'secrets' };

/** TokenRequests are created on a named account, never read (405 before the body is looked at). */
export function checkTokenRequest(info: RequestInfo): void {
  if (info.verb !== 'create' || !info.name)
    throw methodNotSupported({ group: '', resource: 'serviceaccounts/token' }, info.verb);
}

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export class ServiceAccountIssuer {
  private readonly checks: LRUCache<string, { ok: boolean; expires: number }>;

  constructor(
    private readonly signer: () => SigningKey,
    private readonly tenantUid: (tenant: string) => string | undefined,
    private readonly read: TenantObjectReader,
    private readonly opts: { checkTtlMs?: number; maxEntries?: number } = {},
  ) {
    this.checks = new LRUCache({ max: opts.maxEntries ?? 10_000 });
  }

  /** Answers POST .../serviceaccounts/<name>/token (`body` decoded) as the apiserver's TokenREST does. */
  async answerTokenRequest(tenant: string, info: RequestInfo, body: unknown): Promise<KubeObject> {
    const decoded = body as (KubeObject & { spec?: TokenRequestSpec }) | undefined;
    if (!decoded || typeof decoded !== 'object' || (decoded.kind && decoded.kind !== 'TokenRequest'))
      throw badRequest(`the object provided is unrecognized (must be of type TokenRequest)`);
    const gk = { group: 'authentication.k8s.io', kind: 'TokenRequest' };
    const meta = decoded.metadata ?? {};
    if (meta.name && meta.name !== info.name)
      throw invalid(gk, info.name, [
        fieldErr.invalid('metadata.name', meta.name, 'must match the service account name if specified'),
      ]);
    if (meta.namespace && meta.namespace !== info.namespace)
      throw invalid(gk, info.name, [
        fieldErr.invalid(
          'metadata.namespace',
          meta.namespace,
          'must match the service account namespace if specified',
        ),
      ]);
    const spec = decoded.spec ?? {};
    const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION;
    const errs: FieldError[] = [];
    if (typeof expirationSeconds !== 'number' || !Number.isInteger(expirationSeconds))
      errs.push(fieldErr.invalid('spec.expirationSeconds', String(expirationSeconds), 'must be an integer'));
    else if (expirationSeconds < MIN_EXPIRATION)
      errs.push(
        fieldErr.invalid(
          'spec.expirationSeconds',
          expirationSeconds,
          'may not specify a duration less than 10 minutes',
        ),
      );
    else if (expirationSeconds > MAX_EXPIRATION)
      errs.push(
        fieldErr.invalid(
          'spec.expirationSeconds',
          expirationSeconds,
          'may not specify a duration larger than 2^32 seconds',
        ),
      );
    if (errs.length) throw invalid(gk, '', errs);

    const sa = await this.read(tenant, info.namespace, 'serviceaccounts', info.name);
    if (!sa?.metadata?.uid) throw notFound({ group: '', resource: 'serviceaccounts' }, info.name);
    const boundObject = await this.boundObject(tenant, info, spec.boundObjectRef);
    const tenantUid = this.tenantUid(tenant);
    if (!tenantUid) throw notFound({ group: '', resource: 'serviceaccounts' }, info.name);
    const audiences = Array.isArray(spec.audiences)
      ? spec.audiences.filter((a) => typeof a === 'string')
      : [];
    const { token, expires } = await mintServiceAccountToken(this.signer(), {
      tenant,
      tenantUid,
      namespace: info.namespace,
      serviceAccount: { name: info.name, uid: sa.metadata.uid },
      audiences,
      expirationSeconds,
      ...(boundObject ? { boundObject } : {}),
    });
    return {
      ...TOKEN_REQUEST,
      metadata: {
        name: info.name,
        namespace: info.namespace,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      spec: {
        audiences: audiences.length ? audiences : [`kplex:tenant:${tenant}`],
        expirationSeconds,
        boundObjectRef: spec.boundObjectRef ?? null,
      },
      status: { token, expirationTimestamp: expires.toISOString().replace(/\.\d+Z$/, 'Z') },
    } as KubeObject;
  }

  private async boundObject(
    tenant: string,
    info: RequestInfo,
    ref: TokenRequestSpec['boundObjectRef'],
  ): Promise<BoundObject | undefined> {
    if (!ref) return undefined;
    const kind = ref.kind ?? '';
    const apiVersion = ref.apiVersion ?? '';
    const resource = apiVersion === 'v1' ? BINDABLE[kind] : undefined;
    if (!resource)
      throw badRequest(
        `cannot bind token to object of type ${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${kind}`,
      );
    const obj = await this.read(tenant, info.namespace, resource, ref.name ?? '');
    if (!obj?.metadata?.uid) throw notFound({ group: '', resource }, ref.name ?? '');
    if (
      kind === 'Pod' &&
      (obj as { spec?: { serviceAccountName?: string } }).spec?.serviceAccountName !== info.name
    )
      throw badRequest(
        `cannot bind token for serviceaccount "${info.name}" to pod running with different serviceaccount name.`,
      );
    if (ref.uid && ref.uid !== obj.metadata.uid)
      throw conflict(
        { group: '', resource: kind },
        ref.name ?? '',
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    return { kind: kind as BoundObject['kind'], name: ref.name ?? '', uid: obj.metadata.uid };
  }

  /**
   * True while the token's ServiceAccount and bound object exist with its UIDs (cached briefly;
   * only tokens kplex signed get here, so the host lookups cost nothing to unauthenticated callers).
   */
  async stillValid(tenant: string, c: ServiceAccountClaims): Promise<boolean> {
    const b = c.boundObject;
    const key = `${tenant}\0${c.namespace}\0${c.serviceAccount.name}\0${c.serviceAccount.uid}\0${b ? `${b.kind}\0${b.name}\0${b.uid}` : ''}`;
    const now = Date.now();
    const hit = this.checks.peek(key); // kept in order of writing
    if (hit && hit.expires > now) return hit.ok;
    const sa = await this.read(tenant, c.namespace, 'serviceaccounts', c.serviceAccount.name);
    let ok = sa?.metadata?.uid === c.serviceAccount.uid && !sa.metadata.deletionTimestamp;
    if (ok && b) {
      const resource = BINDABLE[b.kind];
      const obj = resource ? await this.read(tenant, c.namespace, resource, b.name) : undefined;
      ok = obj?.metadata?.uid === b.uid && !obj.metadata.deletionTimestamp;
    }
    this.checks.delete(key);
    this.checks.set(key, { ok, expires: now + (this.opts.checkTtlMs ?? 10_000) });
    return ok;
  }
}
