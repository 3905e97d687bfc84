// FlowSchema and PriorityLevelConfiguration validation (pkg/apis/flowcontrol/validation, v1.32):
// the spec rules a client can trip over. The mandatory bootstrap objects' fixed specs are not
// enforced (kplex seeds none; a tenant's flow-control objects configure nothing on the host).
import { goSlice } from '../api/field-errors.js';
import { isObject } from '../api/object.js';
import type { KubeObject } from '../api/object.js';
import type { FieldError } from '../api/status.js';
import { isDNS1123Subdomain } from '../api/name-validation.js';
import { asArray, duplicate, invalidValue, notSupported, required } from './field-errors.js';

const DISTINGUISHERS = ['ByNamespace', 'ByUser'];
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];
const SUBJECT_KINDS = ['Group', 'ServiceAccount', 'User'];
const ENABLEMENTS = ['Exempt', 'Limited'];
const LIMIT_RESPONSES = ['Queue', 'Reject'];
const MAX_PRECEDENCE = 10000;
const MAX_QUEUES = 10_000_000;

const forbidden = (field: string, detail: string): FieldError => ({
  type: 'FieldValueForbidden',
  field,
  detail,
});
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});

function validateVerbs(verbs: string[], fld: string): FieldError[] {
  if (verbs.length === 0) return [required(fld, 'verbs must contain at least one value')];
  if (verbs.includes('*'))
    return verbs.length > 1
      ? [invalidValue(fld, goSlice('string', verbs), "if '*' is present, must not specify other verbs")]
      : [];
  return verbs.every((v) => VERBS.includes(v)) ? [] : [notSupported(fld, verbs, VERBS)];
}

function validateSubject(s: Obj, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const kind = String(s['kind'] ?? '');
  const members: Record<string, string> = { User: 'user', Group: 'group', ServiceAccount: 'serviceAccount' };
  if (!SUBJECT_KINDS.includes(kind)) return [notSupported(`${fld}.kind`, kind, SUBJECT_KINDS)];
  const own = members[kind]!;
  for (const [k, m] of Object.entries(members)) {
    if (k !== kind && s[m] !== undefined && s[m] !== null)
      errs.push(forbidden(`${fld}.${m}`, `${m} is forbidden when subject kind is not '${k}'`));
  }
  const member = s[own];
  if (!isObject(member))
    return [...errs, required(`${fld}.${own}`, `${own} is required when subject kind is '${kind}'`)];
  if (!member['name']) errs.push(required(`${fld}.${own}.name`));
  if (kind === 'ServiceAccount' && !member['namespace'])
    errs.push(required(`${fld}.${own}.namespace`, 'must specify namespace for service account'));
  return errs;
}

function validateResourceRule(r: Obj, fld: string): FieldError[] {
  const errs = validateVerbs(asArray<string>(r['verbs']), `${fld}.verbs`);
  const groups = asArray<string>(r['apiGroups']);
  const resources = asArray<string>(r['resources']);
  const namespaces = asArray<string>(r['namespaces']);
  if (groups.length === 0)
    errs.push(required(`${fld}.apiGroups`, 'resource rules must supply at least one api group'));
  else if (groups.length > 1 && groups.includes('*'))
    errs.push(
      invalidValue(
        `${fld}.apiGroups`,
        goSlice('string', groups),
        "if '*' is present, must not specify other api groups",
      ),
    );
  if (resources.length === 0)
    errs.push(required(`${fld}.resources`, 'resource rules must supply at least one resource'));
  else if (resources.length > 1 && resources.includes('*'))
    errs.push(
      invalidValue(
        `${fld}.resources`,
        goSlice('string', resources),
        "if '*' is present, must not specify other resources",
      ),
    );
  if (namespaces.length === 0 && !r['clusterScope'])
    errs.push(
      required(
        `${fld}.namespaces`,
        'resource rules that are not cluster scoped must supply at least one namespace',
      ),
    );
  else if (namespaces.length > 1 && namespaces.includes('*'))
    errs.push(
      invalidValue(
        `${fld}.namespaces`,
        goSlice('string', namespaces),
        "if '*' is present, must not specify other namespaces",
      ),
    );
  return errs;
}

function validateNonResourceRule(r: Obj, fld: string): FieldError[] {
  const errs = validateVerbs(asArray<string>(r['verbs']), `${fld}.verbs`);
  const urls = asArray<string>(r['nonResourceURLs']);
  if (urls.length === 0)
    errs.push(required(`${fld}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  else if (urls.length > 1 && urls.includes('*'))
    errs.push(
      invalidValue(
        `${fld}.nonResourceURLs`,
        goSlice('string', urls),
        "if '*' is present, must not specify other non-resource URLs",
      ),
    );
  urls.forEach((u, i) => {
    const f = `${fld}.nonResourceURLs[${i}]`;
    if (u === '') errs.push(invalidValue(f, u, 'must not be empty'));
    else if (u === '*') return;
    else if (!u.startsWith('/')) errs.push(invalidValue(f, u, 'must start with slash'));
    else if (/\s/.test(u)) errs.push(invalidValue(f, u, 'must not contain white-space'));
    else if (u.includes('//')) errs.push(invalidValue(f, u, 'must not contain double slash'));
    else if (u.slice(0, -1).includes('*') || (u.endsWith('*') && !u.endsWith('/*')))
      errs.push(invalidValue(f, u, 'wildcard can only do suffix matching'));
  });
  return errs;
}

function validateConditions(status: unknown, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asArray<Obj>(obj(status)['conditions']).forEach((c, i) => {
    const type = String(c['type'] ?? '');
    if (seen.has(type)) errs.push(duplicate(`${fld}.conditions[${i}].type`, type));
    seen.add(type);
    if (type === '') errs.push(required(`${fld}.conditions[${i}].type`, 'must not be empty'));
  });
  return errs;
}

export function validateFlowSchema(fs: KubeObject): FieldError[] {
  const spec = obj(fs['spec']);
  const name = fs.metadata?.name ?? '';
  const errs: FieldError[] = [];
  const p = Number(spec['matchingPrecedence'] ?? 0);
  if (p <= 0) errs.push(invalidValue('spec.matchingPrecedence', p, 'must be a positive value'));
  if (p > MAX_PRECEDENCE)
    errs.push(invalidValue('spec.matchingPrecedence', p, `must not be greater than ${MAX_PRECEDENCE}`));
  if (p === 1 && name !== 'exempt')
    errs.push(
      invalidValue(
        'spec.matchingPrecedence',
        p,
        "only the schema named 'exempt' may have matchingPrecedence 1",
      ),
    );
  const dm = spec['distinguisherMethod'];
  if (isObject(dm) && !DISTINGUISHERS.includes(String(dm['type'])))
    errs.push(notSupported('spec.distinguisherMethod.type', dm, DISTINGUISHERS));
  const pl = String(obj(spec['priorityLevelConfiguration'])['name'] ?? '');
  if (pl === '')
    errs.push(required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  else
    for (const m of isDNS1123Subdomain(pl))
      errs.push(invalidValue('spec.priorityLevelConfiguration.name', pl, m));
  asArray<Obj>(spec['rules']).forEach((rule, i) => {
    const f = `spec.rules[${i}]`;
    const subjects = asArray<Obj>(rule['subjects']);
    if (subjects.length === 0)
      errs.push(required(`${f}.subjects`, 'subjects must contain at least one value'));
    const rr = asArray<Obj>(rule['resourceRules']);
    const nr = asArray<Obj>(rule['nonResourceRules']);
    if (rr.length === 0 && nr.length === 0)
      errs.push(required(f, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
    subjects.forEach((s, j) => errs.push(...validateSubject(s, `${f}.subjects[${j}]`)));
    rr.forEach((r, j) => errs.push(...validateResourceRule(r, `${f}.resourceRules[${j}]`)));
    nr.forEach((r, j) => errs.push(...validateNonResourceRule(r, `${f}.nonResourceRules[${j}]`)));
  });
  errs.push(...validateConditions(fs['status'], 'status'));
  return errs;
}

function validateQueuing(q: Obj, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const qll = Number(q['queueLengthLimit'] ?? 0);
  const queues = Number(q['queues'] ?? 0);
  const hand = Number(q['handSize'] ?? 0);
  if (qll <= 0) errs.push(invalidValue(`${fld}.queueLengthLimit`, qll, 'must be positive'));
  if (queues <= 0) errs.push(invalidValue(`${fld}.queues`, queues, 'must be positive'));
  else if (queues > MAX_QUEUES)
    errs.push(invalidValue(`${fld}.queues`, queues, `must not be greater than ${MAX_QUEUES}`));
  if (hand <= 0) errs.push(invalidValue(`${fld}.handSize`, hand, 'must be positive'));
  else if (hand > queues)
    errs.push(invalidValue(`${fld}.handSize`, hand, `should not be greater than queues (${queues})`));
  else if (Math.ceil(Math.log2(queues) * hand) > 60) {
    errs.push(
      invalidValue(
        `${fld}.handSize`,
        hand,
        `required entropy bits of deckSize ${queues} and handSize ${hand} should not be greater than 60`,
      ),
    );
  }
  return errs;
}

function validatePercentages(o: Obj, fld: string): FieldError[] {
  const errs: FieldError[] = [];
  const shares = o['nominalConcurrencyShares'];
  if (typeof shares === 'number' && shares < 0)
    errs.push(invalidValue(`${fld}.nominalConcurrencyShares`, shares, 'must be a non-negative integer'));
  const lendable = o['lendablePercent'];
  if (typeof lendable === 'number' && (lendable < 0 || lendable > 100))
    errs.push(invalidValue(`${fld}.lendablePercent`, lendable, 'must be between 0 and 100, inclusive'));
  return errs;
}

export function validatePriorityLevelConfiguration(plc: KubeObject): FieldError[] {
  const spec = obj(plc['spec']);
  const name = plc.metadata?.name ?? '';
  const type = String(spec['type'] ?? '');
  const errs: FieldError[] = [];
  if ((type === 'Exempt') !== (name === 'exempt'))
    errs.push(invalidValue('spec.type', type, "type must be 'Exempt' if and only if name is 'exempt'"));
  const limited = spec['limited'];
  const exempt = spec['exempt'];
  if (type === 'Exempt') {
    if (limited !== undefined && limited !== null)
      errs.push(forbidden('spec.limited', 'must be nil if the type is not Limited'));
    if (isObject(exempt)) errs.push(...validatePercentages(exempt, 'spec.exempt'));
  } else if (type === 'Limited') {
    if (exempt !== undefined && exempt !== null)
      errs.push(forbidden('spec.exempt', 'must be nil if the type is Limited'));
    if (!isObject(limited)) errs.push(required('spec.limited', 'must not be empty when type is Limited'));
    else {
      errs.push(...validatePercentages(limited, 'spec.limited'));
      const borrowing = limited['borrowingLimitPercent'];
      if (typeof borrowing === 'number' && borrowing < 0)
        errs.push(
          invalidValue(
            'spec.limited.borrowingLimitPercent',
            borrowing,
            'if specified, must be a non-negative integer',
          ),
        );
      const lr = obj(limited['limitResponse']);
      const lrType = String(lr['type'] ?? '');
      const queuing = lr['queuing'];
      if (lrType === 'Queue') {
        if (!isObject(queuing))
          errs.push(
            required(
              'spec.limited.limitResponse.queuing',
              'must not be empty if limited.limitResponse.type is Limited',
            ),
          );
        else errs.push(...validateQueuing(queuing, 'spec.limited.limitResponse.queuing'));
      } else if (lrType === 'Reject') {
        if (queuing !== undefined && queuing !== null)
          errs.push(
            forbidden(
              'spec.limited.limitResponse.queuing',
              'must be nil if limited.limitResponse.type is not Limited',
            ),
          );
      } else errs.push(notSupported('spec.limited.limitResponse.type', lrType, LIMIT_RESPONSES));
    }
  } else errs.push(notSupported('spec.type', type, ENABLEMENTS));
  errs.push(...validateConditions(plc['status'], 'status'));
  return errs;
}
