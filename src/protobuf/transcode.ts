// Message bodies <-> JSON values with Go's conventions: encoding/json over the Go structs (zero
// values, `omitempty`, nil slices/maps/pointers as `null`, inline structs) on the JSON side, and
// the gogo-generated marshalers (fields in number order, non-pointer fields always written, map
// keys sorted) on the protobuf side, so bytes match what the apiserver writes.
import { type FieldDescriptor, type Message, message } from './schema.js';
import { type NestedCodec, specialCodecs } from './special-types.js';
import { ProtobufError, type RawField, WireType, Writer, readPackedVarints, scanFields } from './wire.js';

type JSONObject = Record<string, unknown>;

/** Set by envelope.ts: turns nested `k8s\0` protobuf bytes inside a RawExtension into an object. */
let nestedObjectDecoder: ((raw: Uint8Array) => unknown) | undefined;
export function setNestedObjectDecoder(fn: (raw: Uint8Array) => unknown): void {
  nestedObjectDecoder = fn;
}

const magic = [0x6b, 0x38, 0x73, 0x00];

function decodeRaw(raw: Uint8Array): unknown {
  if (raw.length >= 4 && magic.every((b, i) => raw[i] === b) && nestedObjectDecoder)
    return nestedObjectDecoder(raw);
  return JSON.parse(Buffer.from(raw).toString('utf8'));
}

const nestedCodec = (compact: boolean): NestedCodec => ({
  decode: (name, bytes) => decodeMessage(name, bytes, compact),
  encode: (name, value) => encodeMessage(name, value),
  decodeRaw,
});
const nested = nestedCodec(false);
const nestedCompact = nestedCodec(true);

// ---- protobuf -> JSON ----

function scalarZero(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return null;
    default:
      return 0;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === null || (Array.isArray(v) && v.length === 0);
}

function scalarValue(f: RawField, type: string): unknown {
  switch (type) {
    case 'string':
      return Buffer.from(f.bytes!).toString('utf8');
    case 'bytes':
      return Buffer.from(f.bytes!).toString('base64');
    case 'bool':
      return f.int !== 0;
    case 'double':
      return Buffer.from(f.bytes!).readDoubleLE(0);
    case 'float':
      return Buffer.from(f.bytes!).readFloatLE(0);
    case 'int32':
      return f.int! | 0;
    case 'uint32':
      return f.int! >>> 0;
    default:
      return f.int;
  }
}

/** Values of a repeated scalar field, packed or not. */
function repeatedScalars(occ: RawField[], type: string): unknown[] {
  const out: unknown[] = [];
  for (const f of occ) {
    if (f.wire === WireType.bytes && type !== 'string' && type !== 'bytes') {
      for (const v of readPackedVarints(f.bytes!)) out.push(type === 'bool' ? v !== 0 : v);
    } else out.push(scalarValue(f, type));
  }
  return out;
}

function decodeValue(fd: FieldDescriptor, f: RawField | undefined, compact: boolean): unknown {
  if (fd.scalar) return f ? scalarValue(f, fd.type) : scalarZero(fd.type);
  return decodeMessage(fd.type, f?.bytes, compact);
}

/** A value Go cannot tell from an absent value field: zero scalars, `null`, `{}`. */
function isGoZero(v: unknown): boolean {
  return (
    isZero(v) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

function decodeMapEntry(fd: FieldDescriptor, entry: Uint8Array, compact: boolean): [string, unknown] {
  let key = '';
  let value: RawField | undefined;
  for (const f of scanFields(entry)) {
    if (f.num === 1) key = Buffer.from(f.bytes!).toString('utf8');
    else if (f.num === 2) value = f;
  }
  if (fd.scalar && fd.type === 'bytes' && !value) return [key, ''];
  return [key, decodeValue(fd, value, compact)];
}

/**
 * Decodes a message body to the JSON value Go's encoding/json would produce for its struct.
 * `compact` leaves out what Go cannot tell from absent (zero value fields, nil pointers, slices
 * and maps, empty structs): the minimal JSON a JSON client would send for the same request.
 */
export function decodeMessage(name: string, bytes: Uint8Array | undefined, compact = false): unknown {
  const special = specialCodecs.get(name);
  if (special) return special.toJSON(bytes, compact ? nestedCompact : nested);
  const m = message(name);
  const byNum = new Map<number, RawField[]>();
  for (const f of bytes ? scanFields(bytes) : []) {
    const list = byNum.get(f.num);
    if (list) list.push(f);
    else byNum.set(f.num, [f]);
  }
  if (m.array) {
    const items = byNum.get(1) ?? [];
    return bytes === undefined ? null : repeatedScalars(items, m.fields[0]!.type);
  }
  const out: JSONObject = {};
  for (const fd of m.fields) {
    const occ = byNum.get(fd.num);
    const put = (v: unknown): void => {
      if (!((fd.omitempty || compact) && isZero(v))) out[fd.json] = v;
    };
    // Value structs are never omitted by encoding/json; compact drops the empty ones.
    const putStruct = (v: unknown): void => {
      if (!(compact && isGoZero(v))) out[fd.json] = v;
    };
    if (fd.inline) {
      Object.assign(out, decodeMessage(fd.type, occ?.at(-1)?.bytes, compact));
    } else if (fd.map) {
      if (!occ) put(null);
      else out[fd.json] = Object.fromEntries(occ.map((e) => decodeMapEntry(fd, e.bytes!, compact)));
    } else if (fd.repeated) {
      if (!occ) put(null);
      else
        put(
          fd.scalar
            ? repeatedScalars(occ, fd.type)
            : occ.map((e) => decodeMessage(fd.type, e.bytes, compact)),
        );
    } else if (!occ) {
      // Absent: a nil pointer, or the Go zero value of a value field.
      if (fd.pointer) put(null);
      else if (fd.scalar) put(scalarZero(fd.type));
      else putStruct(decodeMessage(fd.type, undefined, compact));
    } else {
      const v = decodeValue(fd, occ.at(-1), compact);
      if (fd.pointer) out[fd.json] = v;
      else if (fd.scalar) put(v);
      else putStruct(v);
    }
  }
  return out;
}

// ---- JSON -> protobuf ----

function typeError(m: Message, fd: FieldDescriptor, v: unknown): ProtobufError {
  return new ProtobufError(
    `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${m.name.split('.').pop()}.${fd.json} of type ${fd.type}`,
  );
}

function writeScalar(w: Writer, num: number, type: string, v: unknown): void {
  switch (type) {
    case 'string':
      w.stringField(num, v === undefined || v === null ? '' : String(v));
      return;
    case 'bytes':
      w.bytesField(num, Buffer.from(typeof v === 'string' ? v : '', 'base64'));
      return;
    case 'bool':
      w.varintField(num, v === true ? 1 : 0);
      return;
    case 'double':
      w.doubleField(num, Number(v ?? 0));
      return;
    case 'float':
      w.floatField(num, Number(v ?? 0));
      return;
    default:
      w.varintField(num, Math.trunc(Number(v ?? 0)));
  }
}

function checkScalar(m: Message, fd: FieldDescriptor, v: unknown): void {
  const t =
    fd.type === 'string' || fd.type === 'bytes' ? 'string' : fd.type === 'bool' ? 'boolean' : 'number';
  if (typeof v !== t) throw typeError(m, fd, v);
}

/** Encodes a JSON value as a message body, field by field as the gogo marshalers write it. */
export function encodeMessage(name: string, value: unknown): Buffer {
  const special = specialCodecs.get(name);
  if (special) return special.fromJSON(value, nested);
  const m = message(name);
  const w = new Writer();
  if (m.array) {
    const fd = m.fields[0]!;
    for (const v of Array.isArray(value) ? value : []) writeScalar(w, fd.num, fd.type, v);
    return w.finish();
  }
  const obj = (
    value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}
  ) as JSONObject;
  for (const fd of m.fields) {
    if (fd.inline) {
      w.bytesField(fd.num, encodeMessage(fd.type, obj));
      continue;
    }
    const v = obj[fd.json];
    const present = v !== undefined && v !== null;
    if (fd.map) {
      if (!present) continue;
      if (typeof v !== 'object' || Array.isArray(v)) throw typeError(m, fd, v);
      for (const key of Object.keys(v).sort()) {
        const e = new Writer().stringField(1, key);
        const ev = (v as JSONObject)[key];
        if (fd.scalar) {
          if (fd.type === 'bytes' && ev === null) continue;
          writeScalar(e, 2, fd.type, ev);
        } else e.bytesField(2, encodeMessage(fd.type, ev));
        w.bytesField(fd.num, e.finish());
      }
    } else if (fd.repeated) {
      if (!present) continue;
      if (!Array.isArray(v)) throw typeError(m, fd, v);
      for (const item of v) {
        if (fd.scalar) {
          checkScalar(m, fd, item);
          writeScalar(w, fd.num, fd.type, item);
        } else w.bytesField(fd.num, encodeMessage(fd.type, item));
      }
    } else if (fd.scalar) {
      if (present) checkScalar(m, fd, v);
      if (fd.type === 'bytes') {
        if (present) writeScalar(w, fd.num, fd.type, v);
      } else if (present || !fd.pointer) writeScalar(w, fd.num, fd.type, v);
    } else if (present || !fd.pointer) {
      w.bytesField(fd.num, encodeMessage(fd.type, v));
    }
  }
  return w.finish();
}
