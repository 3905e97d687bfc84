// The Kubernetes protobuf envelope (k8s.io/apimachinery/pkg/runtime/serializer/protobuf): the
// 4 bytes `k8s\0` then a runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding,
// contentType} whose raw is the object's message body (objects carry no TypeMeta of their own).
import { messageNameForKind } from './schema.js';
import { decodeMessage, encodeMessage, setNestedObjectDecoder } from './transcode.js';
import { ProtobufError, Writer, scanFields } from './wire.js';

export const protobufMediaType = 'application/vnd.kubernetes.protobuf';
export const envelopeMagic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export function hasEnvelopeMagic(buf: Uint8Array): boolean {
  return buf.length >= 4 && envelopeMagic.every((b, i) => buf[i] === b);
}

/** Splits an envelope; throws the apiserver's message when the magic prefix is missing. */
export function decodeEnvelope(buf: Uint8Array): Envelope {
  if (!hasEnvelopeMagic(buf))
    throw new ProtobufError(
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  const env: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  for (const f of scanFields(buf.subarray(4))) {
    const text = (): string => Buffer.from(f.bytes!).toString('utf8');
    if (f.num === 1) {
      for (const t of scanFields(f.bytes!)) {
        if (t.num === 1) env.apiVersion = Buffer.from(t.bytes!).toString('utf8');
        else if (t.num === 2) env.kind = Buffer.from(t.bytes!).toString('utf8');
      }
    } else if (f.num === 2) env.raw = f.bytes!;
    else if (f.num === 3) env.contentEncoding = text();
    else if (f.num === 4) env.contentType = text();
  }
  return env;
}

/** Wraps a message body as the Go serializer does (empty contentEncoding/contentType written). */
export function encodeEnvelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = new Writer().stringField(1, apiVersion).stringField(2, kind).finish();
  const unknown = new Writer()
    .bytesField(1, typeMeta)
    .bytesField(2, raw)
    .stringField(3, '')
    .stringField(4, '')
    .finish();
  return Buffer.concat([envelopeMagic, unknown]);
}

export class UnknownKindError extends ProtobufError {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
}

function messageFor(apiVersion: string, kind: string): string {
  const name = messageNameForKind(apiVersion, kind);
  if (!name) throw new UnknownKindError(apiVersion, kind);
  return name;
}

export interface DecodeObjectOptions {
  /** The endpoint's kind: an envelope without apiVersion or kind takes it (copyKindDefaults in Go). */
  defaults?: { apiVersion: string; kind: string };
  /** Leave out values Go cannot tell from absent (see decodeMessage): for request bodies. */
  compact?: boolean;
}

/** An envelope-wrapped protobuf object -> its JSON object, kind and apiVersion first. */
export function protobufToObject(buf: Uint8Array, opts: DecodeObjectOptions = {}): Record<string, unknown> {
  const defaults = opts.defaults;
  const env = decodeEnvelope(buf);
  if (env.contentEncoding)
    throw new ProtobufError(`unsupported content encoding ${JSON.stringify(env.contentEncoding)}`);
  const apiVersion = env.apiVersion || defaults?.apiVersion || '';
  const kind = env.kind || defaults?.kind || '';
  if (!kind)
    throw new ProtobufError(
      `Object 'Kind' is missing in '${JSON.stringify({ apiVersion: env.apiVersion, kind: env.kind })}'`,
    );
  const body = decodeMessage(messageFor(apiVersion, kind), env.raw, opts.compact) as Record<string, unknown>;
  return { kind, apiVersion, ...body };
}

/** A JSON object with apiVersion/kind -> the envelope-wrapped protobuf the apiserver would write. */
export function objectToProtobuf(
  obj: Record<string, unknown>,
  apiVersion = String(obj['apiVersion'] ?? ''),
  kind = String(obj['kind'] ?? ''),
): Buffer {
  return encodeEnvelope(apiVersion, kind, encodeMessage(messageFor(apiVersion, kind), obj));
}

setNestedObjectDecoder((raw) => protobufToObject(raw));
