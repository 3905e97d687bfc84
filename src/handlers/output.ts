// Writes a successful result in the negotiated form, with `Warning` headers.
import type { ServerResponse } from 'node:http';
import { stringify as toYAML } from 'yaml';
import type { KubeList, KubeObject } from '../api/object.js';
import type { Negotiated } from './negotiate.js';
import { type IncludeObject, partialMetadata, partialMetadataList, toTable } from './table.js';
import type { PrinterColumn } from '../resources/types.js';
import { objectToProtobuf, protobufMediaType } from '../protobuf/index.js';

/** `Warning: 299 - "text"` values, as k8s.io/apiserver/pkg/warning formats them. */
export function warningHeaders(warnings: string[]): string[] {
  return [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`);
}

export interface OutputContext {
  out: Negotiated;
  columns: PrinterColumn[];
  includeObject: IncludeObject;
  warnings: string[];
}

export function render(body: KubeObject, isList: boolean, o: OutputContext): KubeObject {
  const isStatus = body.kind === 'Status';
  if (isStatus || o.out.kind === 'json' || o.out.kind === 'yaml') return body;
  if (o.out.kind === 'partial')
    return isList ? partialMetadataList(body as unknown as KubeList) : partialMetadata(body);
  if (isList) {
    const l = body as unknown as KubeList;
    return toTable(l.items, l.metadata, o.columns, o.includeObject);
  }
  return toTable([body], { resourceVersion: body.metadata?.resourceVersion }, o.columns, o.includeObject);
}

/** The rendered body in the negotiated encoding, with its Content-Type. */
export function encodeResult(
  rendered: KubeObject,
  o: OutputContext,
  yaml: boolean,
): { data: Buffer; contentType: string } {
  if (o.out.protobuf) return { data: objectToProtobuf(rendered), contentType: protobufMediaType };
  if (yaml) return { data: Buffer.from(toYAML(rendered)), contentType: 'application/yaml' };
  return { data: Buffer.from(JSON.stringify(rendered)), contentType: 'application/json' };
}

export function writeResult(
  res: ServerResponse,
  code: number,
  body: KubeObject,
  isList: boolean,
  o: OutputContext,
): void {
  const rendered = render(body, isList, o);
  const { data, contentType } = encodeResult(rendered, o, o.out.kind === 'yaml' && rendered === body);
  const headers: Record<string, string | number | string[]> = {
    'Content-Type': contentType,
    'Content-Length': data.length,
  };
  if (o.warnings.length > 0) headers['Warning'] = warningHeaders(o.warnings);
  res.writeHead(code, headers);
  res.end(data);
}
