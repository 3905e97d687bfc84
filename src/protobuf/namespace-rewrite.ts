// Cheap metadata.namespace rewriting of protobuf bodies for host passthrough: splices the
// ObjectMeta.namespace field (3) of an object, or of every item of a list, and copies every
// other byte as is, without transcoding to JSON.
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { message, messageNameForKind, metaPackage } from './schema.js';
import { decodeWatchEventRaw, encodeWatchFrameRaw } from './watch-frames.js';
import { ProtobufError, type RawField, Writer, scanFields } from './wire.js';

/** Returns the namespace to write for a current one ('' when unset); returning it unchanged keeps the bytes. */
export type NamespaceRewrite = (namespace: string) => string;

const objectMeta = `${metaPackage}.ObjectMeta`;
const namespaceField = 3;

/** Field number of `metadata` when it is an ObjectMeta. */
function objectMetaField(messageName: string): number | undefined {
  return message(messageName).fields.find((f) => f.json === 'metadata' && f.type === objectMeta)?.num;
}

/** Rebuilds `body` with the fields numbered `num` replaced by `replace(field)` (same order). */
function spliceFields(
  body: Uint8Array,
  fields: RawField[],
  num: number,
  replace: (f: RawField) => Uint8Array | undefined,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let changed = false;
  for (const f of fields) {
    const next = f.num === num ? replace(f) : undefined;
    if (next === undefined) parts.push(body.subarray(f.start, f.end));
    else {
      parts.push(new Writer().bytesField(num, next).finish());
      changed = true;
    }
  }
  return changed ? Buffer.concat(parts) : body;
}

/** ObjectMeta bytes with namespace rewritten; undefined when unchanged. */
export function rewriteObjectMetaNamespace(
  meta: Uint8Array,
  rewrite: NamespaceRewrite,
): Uint8Array | undefined {
  const fields = scanFields(meta);
  const current = fields.filter((f) => f.num === namespaceField).pop();
  const ns = current ? Buffer.from(current.bytes!).toString('utf8') : '';
  const next = rewrite(ns);
  if (next === ns) return undefined;
  const encoded = new Writer().stringField(namespaceField, next).finish();
  const parts: Uint8Array[] = [];
  let written = false;
  for (const f of fields) {
    if (f.num === namespaceField) {
      if (!written) parts.push(encoded);
      written = true;
      continue;
    }
    if (!written && f.num > namespaceField) {
      parts.push(encoded);
      written = true;
    }
    parts.push(meta.subarray(f.start, f.end));
  }
  if (!written) parts.push(encoded);
  return Buffer.concat(parts);
}

/** Rewrites metadata.namespace in a message body of the given message. */
export function rewriteBodyNamespace(
  messageName: string,
  body: Uint8Array,
  rewrite: NamespaceRewrite,
): Uint8Array {
  const metaNum = objectMetaField(messageName);
  const fields = scanFields(body);
  if (metaNum !== undefined)
    return spliceFields(body, fields, metaNum, (f) => rewriteObjectMetaNamespace(f.bytes!, rewrite));
  const items = message(messageName).fields.find((f) => f.json === 'items' && f.repeated && !f.scalar);
  if (!items || objectMetaField(items.type) === undefined) return body;
  return spliceFields(body, fields, items.num, (f) => {
    const next = rewriteBodyNamespace(items.type, f.bytes!, rewrite);
    return next === f.bytes ? undefined : next;
  });
}

/**
 * Rewrites metadata.namespace of an envelope-wrapped object or list (every item). Kinds without
 * ObjectMeta (Status, ...) come back unchanged. Other namespace-bearing fields are not touched.
 */
export function rewriteProtobufNamespace(envelope: Uint8Array, rewrite: NamespaceRewrite): Uint8Array {
  const env = decodeEnvelope(envelope);
  if (env.contentEncoding || env.contentType)
    throw new ProtobufError('unexpected contentEncoding/contentType in a protobuf envelope');
  const name = messageNameForKind(env.apiVersion, env.kind);
  if (!name) throw new ProtobufError(`no kind "${env.kind}" is registered for version "${env.apiVersion}"`);
  const raw = rewriteBodyNamespace(name, env.raw, rewrite);
  if (raw === env.raw) return envelope;
  return encodeEnvelope(env.apiVersion, env.kind, raw);
}

/** Rewrites the object of one watch frame body (without its length prefix); returns a whole frame. */
export function rewriteWatchFrameNamespace(frameBody: Uint8Array, rewrite: NamespaceRewrite): Buffer {
  const e = decodeWatchEventRaw(frameBody);
  return encodeWatchFrameRaw(
    e.type,
    e.object.length ? rewriteProtobufNamespace(e.object, rewrite) : e.object,
  );
}
