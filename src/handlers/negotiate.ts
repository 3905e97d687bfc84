// Output content negotiation for virtual resources: JSON, YAML, Table and
// PartialObjectMetadata(List) via `as=...;v=v1;g=meta.k8s.io`; protobuf alone gets 406 as for CRs.
import { notAcceptable } from '../api/status.js';

export type OutputKind = 'json' | 'yaml' | 'table' | 'partial';

export interface Negotiated {
  kind: OutputKind;
}

const accepted = ['application/json', 'application/yaml'];

interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

function parseAccept(h: string): MediaRange[] {
  return h
    .split(',')
    .map((part) => {
      const [type, ...ps] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of ps) {
        const i = p.indexOf('=');
        if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim();
      }
      const q = params['q'] !== undefined ? Number(params['q']) : 1;
      delete params['q'];
      return { type: (type ?? '').toLowerCase(), params, q: Number.isFinite(q) ? q : 1 };
    })
    .filter((r) => r.type && r.q > 0)
    .sort((a, b) => b.q - a.q);
}

export function negotiateOutput(accept: string | undefined): Negotiated {
  if (!accept || accept.trim() === '') return { kind: 'json' };
  for (const r of parseAccept(accept)) {
    const as = r.params['as'];
    const json = r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*';
    const yaml = r.type === 'application/yaml';
    if (!json && !yaml) continue;
    if (as) {
      if (r.params['g'] !== 'meta.k8s.io' || (r.params['v'] !== 'v1' && r.params['v'] !== 'v1beta1')) continue;
      if (as === 'Table') return { kind: 'table' };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'partial' };
      continue;
    }
    return { kind: yaml ? 'yaml' : 'json' };
  }
  throw notAcceptable(accepted);
}
