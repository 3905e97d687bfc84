// CertificateSigningRequest as the apiserver's strategies (pkg/registry/certificates): the
// requester's identity written into spec on create, spec and status immutable through the
// object, conditions through /status (Approved and Denied kept) and /approval (only conditions),
// and pkg/apis/certificates/validation's rules.
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { fieldErr } from '../api/field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../api/name-validation.js';
import { csrSignatureValid, parseCSR } from '../pki/csr-sign.js';
import type { FullStrategy, StrategyContext } from '../registry/strategy.js';
import type { ResourceInfo } from '../resources/types.js';
import { rfc3339 } from '../registry/object-utils.js';

/** What the CSR row has beyond the admission kinds' rows: its short name and /approval. */
export const CSR_ROW = {
  resource: 'certificatesigningrequests',
  row: { shortNames: ['csr'], subresources: { status: true, approval: true } },
} as const satisfies { resource: string; row: Partial<ResourceInfo> };

export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

const VALID_USAGES = [
  'any',
  'cert sign',
  'client auth',
  'code signing',
  'content commitment',
  'crl sign',
  'data encipherment',
  'decipher only',
  'digital signature',
  'email protection',
  'encipher only',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'key agreement',
  'key encipherment',
  'microsoft sgc',
  'netscape sgc',
  'ocsp signing',
  's/mime',
  'server auth',
  'signing',
  'timestamping',
];
/** Condition types whose status may only be True. */
const TRUE_ONLY = ['Approved', 'Denied', 'Failed'];

interface Condition {
  type?: string;
  status?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  [k: string]: unknown;
}
interface CsrSpec {
  request?: string;
  signerName?: string;
  usages?: string[];
  expirationSeconds?: number;
}
const spec = (o: KubeObject): CsrSpec => (o['spec'] ?? {}) as CsrSpec;
const status = (o: KubeObject): { conditions?: Condition[]; certificate?: string } =>
  (o['status'] ?? {}) as { conditions?: Condition[]; certificate?: string };
const conditions = (o: KubeObject): Condition[] => status(o).conditions ?? [];
const ofType = (o: KubeObject, t: string): Condition[] => conditions(o).filter((c) => c.type === t);

const decoded = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('latin1');

/** What validation tolerates because the stored object already has it (compatibility with existing data). */
interface Options {
  settingApproval: boolean;
  settingCertificate: boolean;
}

function validateSignerName(name: string | undefined): FieldError[] {
  const f = 'spec.signerName';
  if (!name) return [fieldErr.required(f)];
  const segments = name.split('/');
  if (segments.length !== 2)
    return [
      fieldErr.invalid(
        f,
        name,
        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ),
    ];
  const [domain, path] = segments as [string, string];
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push(fieldErr.tooLong(f, 253));
  const labels = domain.split('.');
  for (const l of labels) {
    const e = isDNS1123Label(l);
    if (e.length) {
      errs.push(...e.map((m) => fieldErr.invalid(f, domain, `validating label "${l}": ${m}`)));
      break;
    }
  }
  if (labels.length < 2)
    errs.push(fieldErr.invalid(f, domain, 'should be a domain with at least two segments separated by dots'));
  for (const l of path.split('.')) {
    const e = isDNS1123Subdomain(l);
    if (e.length) {
      errs.push(...e.map((m) => fieldErr.invalid(f, path, `validating label "${l}": ${m}`)));
      break;
    }
  }
  return errs;
}

function certificateError(b64: string | undefined): string | undefined {
  const text = decoded(b64);
  if (!text) return undefined;
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)];
  if (!blocks.length) return 'must contain at least one CERTIFICATE PEM block';
  const other = blocks.find((b) => b[1] !== 'CERTIFICATE');
  if (other) return `only CERTIFICATE PEM blocks are allowed, found "${other[1]}"`;
  return undefined;
}

function validateCSR(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec(obj);
  const oldSpec = old ? spec(old) : undefined;
  const parsed = parseCSR(decoded(s.request));
  const requestError =
    typeof parsed === 'string'
      ? parsed
      : csrSignatureValid(parsed)
        ? undefined
        : 'x509: ECDSA verification failure';
  if (requestError) errs.push({ ...fieldErr.invalid('spec.request', '', requestError), omitValue: true });
  const usages = s.usages ?? [];
  if (!usages.length) errs.push(fieldErr.required('spec.usages'));
  const tolerateUsages = (oldSpec?.usages ?? []).some((u) => !VALID_USAGES.includes(u));
  if (!tolerateUsages)
    usages.forEach((u, i) => {
      if (!VALID_USAGES.includes(u)) errs.push(fieldErr.notSupported(`spec.usages[${i}]`, u, VALID_USAGES));
    });
  const seen = new Set<string>();
  const tolerateDuplicates = new Set(oldSpec?.usages ?? []).size !== (oldSpec?.usages ?? []).length;
  usages.forEach((u, i) => {
    if (seen.has(u) && !tolerateDuplicates) errs.push(fieldErr.duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  if (s.signerName === LEGACY_UNKNOWN_SIGNER && oldSpec?.signerName !== LEGACY_UNKNOWN_SIGNER)
    errs.push(
      fieldErr.invalid(
        'spec.signerName',
        s.signerName,
        'the legacy signerName is not allowed via this API version',
      ),
    );
  else errs.push(...validateSignerName(s.signerName));
  if (s.expirationSeconds !== undefined && s.expirationSeconds < 600)
    errs.push(
      fieldErr.invalid(
        'spec.expirationSeconds',
        s.expirationSeconds,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  errs.push(...validateConditions(obj, old));
  const cert = status(obj).certificate;
  const certUnchanged = old !== undefined && cert === status(old).certificate;
  const err = certUnchanged ? undefined : certificateError(cert);
  if (err) errs.push({ ...fieldErr.invalid('status.certificate', '<certificate data>', err) });
  return errs;
}

function validateConditions(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const oldConds = old ? conditions(old) : [];
  const both = oldConds.some((c) => c.type === 'Approved') && oldConds.some((c) => c.type === 'Denied');
  const dupOld = new Set(oldConds.map((c) => c.type)).size !== oldConds.length;
  const emptyOld = oldConds.some((c) => !c.type);
  let approved = false;
  let denied = false;
  const seen = new Set<string>();
  conditions(obj).forEach((c, i) => {
    const f = `status.conditions[${i}]`;
    if (!c.type && !emptyOld) errs.push(fieldErr.required(`${f}.type`));
    const allowed = TRUE_ONLY.includes(c.type ?? '') ? ['True'] : ['False', 'True', 'Unknown'];
    if (!c.status) errs.push(fieldErr.required(`${f}.status`));
    else if (!allowed.includes(c.status)) errs.push(fieldErr.notSupported(`${f}.status`, c.status, allowed));
    if (!both) {
      if (c.type === 'Approved') {
        approved = true;
        if (denied)
          errs.push(
            fieldErr.invalid(`${f}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'),
          );
      } else if (c.type === 'Denied') {
        denied = true;
        if (approved)
          errs.push(
            fieldErr.invalid(`${f}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'),
          );
      }
    }
    if (!dupOld && seen.has(c.type ?? '')) errs.push(fieldErr.duplicate(`${f}.type`, c.type));
    seen.add(c.type ?? '');
  });
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject, o: Options): FieldError[] {
  const errs = validateCSR(obj, old);
  for (const t of ['Approved', 'Denied', 'Failed'])
    if (ofType(obj, t).length < ofType(old, t).length)
      errs.push(fieldErr.forbidden('status.conditions', `updates may not remove a condition of type "${t}"`));
  if (!o.settingApproval)
    for (const t of ['Approved', 'Denied']) {
      const [now, was] = [ofType(obj, t), ofType(old, t)];
      if (now.length > was.length)
        errs.push(fieldErr.forbidden('status.conditions', `updates may not add a condition of type "${t}"`));
      else if (now.length === was.length && JSON.stringify(now) !== JSON.stringify(was))
        errs.push(
          fieldErr.forbidden('status.conditions', `updates may not modify a condition of type "${t}"`),
        );
    }
  const [cert, oldCert] = [status(obj).certificate ?? '', status(old).certificate ?? ''];
  if (cert !== oldCert) {
    if (!o.settingCertificate)
      errs.push(fieldErr.forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert)
      errs.push(
        fieldErr.forbidden('status.certificate', 'updates may not modify existing certificate content'),
      );
  }
  return errs;
}

/** Timestamps a condition lacks: now, or the last transition of the same type and status before. */
function populateTimestamps(obj: KubeObject, old: KubeObject): void {
  const now = rfc3339(new Date());
  for (const c of conditions(obj)) {
    c.lastUpdateTime ||= now;
    if (!c.lastTransitionTime) {
      const prev = conditions(old).find(
        (p) => p.type === c.type && p.status === c.status && p.lastTransitionTime,
      );
      c.lastTransitionTime = prev?.lastTransitionTime ?? now;
    }
  }
}

/** /status keeps the stored Approved and Denied conditions where they stand (preserveConditionInstances). */
function preserveApproval(obj: KubeObject, old: KubeObject): void {
  for (const t of ['Approved', 'Denied']) {
    const oldIdx = conditions(old).flatMap((c, i) => (c.type === t ? [i] : []));
    const newIdx = conditions(obj).flatMap((c, i) => (c.type === t ? [i] : []));
    if (oldIdx.length !== newIdx.length) continue;
    oldIdx.forEach((o, i) => (conditions(obj)[newIdx[i]!] = structuredClone(conditions(old)[o]!)));
  }
}

/** The CSR strategy: `base` (the admission kinds' generic one) with the certificates registry's rules. */
export function csrStrategy(base: FullStrategy): FullStrategy {
  return {
    ...base,
    nameValidation: 'path-segment',
    allowUnconditionalUpdate: true,
    tracksGeneration: false,
    statusKeepsOnlyStatus: false,
    prepareForCreate(obj: KubeObject, ctx: StrategyContext) {
      const s = (obj['spec'] ??= {}) as Record<string, unknown>;
      const u = ctx.user;
      s['username'] = u.username;
      if (u.uid) s['uid'] = u.uid;
      else delete s['uid'];
      if (u.groups.length) s['groups'] = [...u.groups];
      else delete s['groups'];
      if (u.extra && Object.keys(u.extra).length) s['extra'] = structuredClone(u.extra);
      else delete s['extra'];
      obj['status'] = {};
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext) {
      obj['spec'] = structuredClone(old['spec']);
      if (ctx.subresource === 'status') {
        preserveApproval(obj, old);
        populateTimestamps(obj, old);
      } else if (ctx.subresource === 'approval') {
        populateTimestamps(obj, old);
        const conds = status(obj).conditions;
        obj['status'] = { ...structuredClone(status(old)), ...(conds ? { conditions: conds } : {}) };
        if (!conds) delete (obj['status'] as Record<string, unknown>)['conditions'];
      } else {
        if (old['status'] === undefined) delete obj['status'];
        else obj['status'] = structuredClone(old['status']);
      }
    },
    validateCreate: (obj, ctx) => [
      ...base.validateCreate(obj, ctx).filter(notSpec),
      ...validateCSR(obj, undefined),
    ],
    validateUpdate: (obj, old, ctx) => [
      ...base.validateUpdate(obj, old, ctx).filter(notSpec),
      ...validateUpdate(obj, old, {
        settingApproval: ctx.subresource === 'approval',
        settingCertificate: ctx.subresource === 'status',
      }),
    ],
  };
}

// The generic strategy validates metadata only; nothing of it speaks of spec or status.
const notSpec = (e: FieldError): boolean => e.field.startsWith('metadata');
