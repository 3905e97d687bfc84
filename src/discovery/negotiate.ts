// Accept-header negotiation as the apiserver does it (goautoneg.ParseAccept +
// negotiation.NegotiateMediaTypeOptions): clauses by q, concrete before wildcard; the first clause
// whose media type is served and whose parameters the endpoint allows wins.

export interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Record<string, string>;
}

export interface TargetKind {
  group: string;
  version: string;
  kind: string;
}

export interface Negotiated {
  mediaType: string;
  /** The g/v/as target the clause asked for, if any. */
  convert?: TargetKind;
  pretty: boolean;
}

/** Media types kplex encodes discovery documents in (protobuf is not offered). */
export const DISCOVERY_MEDIA_TYPES = ['application/json', 'application/yaml'] as const;
/** Only JSON supports streams among the types served here. */
const STREAMING = new Set(['application/json']);

const trimSpaces = (s: string): string => s.replace(/^ +| +$/g, '');

export function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const rawPart of header.split(',')) {
    const part = trimSpaces(rawPart);
    if (part === '') continue;
    const [mediaRange = '', ...paramParts] = part.split(';');
    const slash = mediaRange.indexOf('/');
    let type: string;
    let subType: string;
    if (slash < 0) {
      type = trimSpaces(mediaRange);
      if (type !== '*') continue;
      subType = '*';
    } else {
      type = trimSpaces(mediaRange.slice(0, slash));
      const rest = mediaRange.slice(slash + 1);
      if (rest.includes('/')) continue;
      subType = trimSpaces(rest);
    }
    const clause: AcceptClause = { type, subType, q: 1, params: {} };
    for (const p of paramParts) {
      const eq = p.split('=');
      if (eq.length !== 2) continue;
      const key = trimSpaces(eq[0] ?? '');
      const value = trimSpaces(eq[1] ?? '');
      if (key === 'q') clause.q = Number.parseFloat(value) || 0;
      else clause.params[key] = value;
    }
    clauses.push(clause);
  }
  return goSort(clauses);
}

/** goautoneg's Less: higher q first; a concrete type, or subtype, before a wildcard one. */
const less = (x: AcceptClause, y: AcceptClause): boolean =>
  x.q > y.q || (x.type !== '*' && y.type === '*') || (x.subType !== '*' && y.subType === '*');

/**
 * Go's sort.Sort on short slices (insertion sort): the Less above is not a strict order (a
 * q=0.9 concrete type can pass a q=1 wildcard), so the algorithm decides the result; mimic it.
 */
function goSort(clauses: AcceptClause[]): AcceptClause[] {
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && less(clauses[j] as AcceptClause, clauses[j - 1] as AcceptClause); j--) {
      [clauses[j - 1], clauses[j]] = [clauses[j] as AcceptClause, clauses[j - 1] as AcceptClause];
    }
  }
  return clauses;
}

/**
 * Picks the media type to answer with. `allowsConvert` is the endpoint's restriction on g/v/as
 * parameters (plain endpoints allow none; aggregated discovery only APIGroupDiscoveryList).
 */
export function negotiate(
  header: string | undefined,
  allowsConvert: (target: TargetKind | undefined) => boolean,
  supported: readonly string[] = DISCOVERY_MEDIA_TYPES,
): Negotiated | undefined {
  if (!header) {
    const first = supported[0];
    return first ? { mediaType: first, pretty: false } : undefined;
  }
  for (const clause of parseAccept(header)) {
    for (const mediaType of supported) {
      const [type, subType] = mediaType.split('/');
      const matches =
        (clause.type === type && (clause.subType === subType || clause.subType === '*')) ||
        (clause.type === '*' && clause.subType === '*');
      if (!matches) continue;
      const result = acceptOptions(clause.params, mediaType, allowsConvert);
      if (result) return result;
    }
  }
  return undefined;
}

function acceptOptions(
  params: Record<string, string>,
  mediaType: string,
  allowsConvert: (target: TargetKind | undefined) => boolean,
): Negotiated | undefined {
  let convert: TargetKind | undefined;
  let pretty = false;
  for (const [k, v] of Object.entries(params)) {
    switch (k) {
      case 'as':
        (convert ??= { group: '', version: '', kind: '' }).kind = v;
        break;
      case 'g':
        (convert ??= { group: '', version: '', kind: '' }).group = v;
        break;
      case 'v':
        (convert ??= { group: '', version: '', kind: '' }).version = v;
        break;
      case 'stream':
        if (v && (!STREAMING.has(mediaType) || v !== 'watch')) return undefined;
        break;
      case 'sv':
        if (v) return undefined;
        break;
      case 'pretty':
        pretty = v === '1';
        break;
      default: // export and unrecognized parameters are ignored
    }
  }
  if (!allowsConvert(convert)) return undefined;
  return { mediaType, convert, pretty };
}

/** Plain endpoints: no g/v/as transformation allowed (negotiation.DefaultEndpointRestrictions). */
export const noConversion = (target: TargetKind | undefined): boolean => target === undefined;
