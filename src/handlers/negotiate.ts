// Output content negotiation for virtual resources: JSON, YAML, Table and
// PartialObjectMetadata(List) via `as=...;v=v1;g=meta.k8s.io`. Protobuf is offered for objects of
// built-in kinds only; custom resources get it only for PartialObjectMetadata (their
// StandardSerializers exclude protobuf), and a protobuf-only Accept gets 406 for them.
import { notAcceptable } from '../api/status.js';
import { protobufMediaType } from '../protobuf/index.js';

export type OutputKind = 'json' | 'yaml' | 'table' | 'partial';

export interface Negotiated {
  kind: OutputKind;
  /** Encode as application/vnd.kubernetes.protobuf (json/partial kinds only). */
  protobuf?: boolean;
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

/** `protobuf`: the resource's kind has a protobuf message (built-in kinds). */
export function negotiateOutput(accept: string | undefined, protobuf = false): Negotiated {
  if (!accept || accept.trim() === '') return { kind: 'json' };
  for (const r of parseAccept(accept)) {
    const as = r.params['as'];
    const json = r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*';
    const yaml = r.type === 'application/yaml';
    const pb = r.type === protobufMediaType;
    if (!json && !yaml && !pb) continue;
    if (as) {
      if (r.params['g'] !== 'meta.k8s.io' || (r.params['v'] !== 'v1' && r.params['v'] !== 'v1beta1'))
        continue;
      if (as === 'Table' && !pb) return { kind: 'table' };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList')
        return pb ? { kind: 'partial', protobuf: true } : { kind: 'partial' };
      continue;
    }
    if (pb && !protobuf) continue;
    return pb ? { kind: 'json', protobuf: true } : { kind: yaml ? 'yaml' : 'json' };
  }
  // The apiserver lists its serializers' media types; kplex keeps protobuf out of the list for custom resources.
  throw notAcceptable(protobuf ? [...accepted, protobufMediaType] : accepted);
}
