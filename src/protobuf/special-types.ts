// Messages whose Go types have custom JSON (MarshalJSON/UnmarshalJSON): their protobuf body and
// JSON value differ in shape. Keyed by fully qualified message name.
import { formatDuration, formatMicroTime, formatTime, parseDuration, parseTime } from './go-time.js';
import { type RawField, Writer, scanFields } from './wire.js';

export interface NestedCodec {
  /** Decodes a message body (undefined: absent, the Go zero value) to JSON. */
  decode(name: string, bytes: Uint8Array | undefined): unknown;
  /** Encodes a JSON value as a message body. */
  encode(name: string, value: unknown): Buffer;
  /** RawExtension / Unknown raw bytes: JSON text or a nested `k8s\0` protobuf object. */
  decodeRaw(bytes: Uint8Array): unknown;
}

export interface SpecialCodec {
  toJSON(bytes: Uint8Array | undefined, c: NestedCodec): unknown;
  fromJSON(value: unknown, c: NestedCodec): Buffer;
}

const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const apiext = 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1';

function fields(bytes: Uint8Array | undefined): RawField[] {
  return bytes ? scanFields(bytes) : [];
}
const last = (fs: RawField[], num: number): RawField | undefined => fs.filter((f) => f.num === num).pop();
const str = (f: RawField | undefined): string => (f?.bytes ? Buffer.from(f.bytes).toString('utf8') : '');
const int = (f: RawField | undefined): number => f?.int ?? 0;

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(`json: cannot unmarshal into Go value of type ${what}`);
}

/** Timestamps: Go writes nothing for the zero time and reads an empty body as zero (`null`). */
const time: SpecialCodec = {
  toJSON(bytes) {
    if (!bytes || bytes.length === 0) return null;
    return formatTime(int(last(fields(bytes), 1)));
  },
  fromJSON(value) {
    if (value === null || value === undefined || value === '') return Buffer.alloc(0);
    expect(typeof value === 'string', 'metav1.Time');
    // Go's protobuf Time drops nanoseconds (time_proto.go): the JSON form only carries seconds.
    return new Writer()
      .varintField(1, parseTime(value as string)[0])
      .varintField(2, 0)
      .finish();
  },
};

const microTime: SpecialCodec = {
  toJSON(bytes) {
    if (!bytes || bytes.length === 0) return null;
    const fs = fields(bytes);
    return formatMicroTime(int(last(fs, 1)), int(last(fs, 2)));
  },
  fromJSON(value) {
    if (value === null || value === undefined || value === '') return Buffer.alloc(0);
    expect(typeof value === 'string', 'metav1.MicroTime');
    const [s, n] = parseTime(value as string);
    return new Writer()
      .varintField(1, s)
      .varintField(2, n - (n % 1000))
      .finish();
  },
};

const duration: SpecialCodec = {
  toJSON: (bytes) => formatDuration(int(last(fields(bytes), 1))),
  fromJSON(value) {
    expect(typeof value === 'string' || value === undefined, 'metav1.Duration');
    return new Writer().varintField(1, value ? parseDuration(value as string) : 0).finish();
  },
};

/** resource.Quantity: the canonical string travels as is; the zero Quantity is "0". */
const quantity: SpecialCodec = {
  toJSON: (bytes) => str(last(fields(bytes), 1)) || '0',
  fromJSON(value) {
    const s = value === undefined || value === null ? '0' : typeof value === 'number' ? String(value) : value;
    expect(typeof s === 'string', 'resource.Quantity');
    return new Writer().stringField(1, s as string).finish();
  },
};

/** intstr.IntOrString: type 0 = Int (intVal), 1 = String (strVal). */
const intOrString: SpecialCodec = {
  toJSON(bytes) {
    const fs = fields(bytes);
    return int(last(fs, 1)) === 1 ? str(last(fs, 3)) : int(last(fs, 2));
  },
  fromJSON(value) {
    const isStr = typeof value === 'string';
    expect(isStr || typeof value === 'number' || value === undefined || value === null, 'intstr.IntOrString');
    return new Writer()
      .varintField(1, isStr ? 1 : 0)
      .varintField(2, isStr ? 0 : ((value as number | undefined | null) ?? 0))
      .stringField(3, isStr ? value : '')
      .finish();
  },
};

/** A `raw` bytes field holding JSON text (FieldsV1, apiextensions JSON): nil renders `null`. */
function rawJSON(num: number): SpecialCodec {
  return {
    toJSON(bytes) {
      const raw = last(fields(bytes), num)?.bytes;
      if (!raw || raw.length === 0) return null;
      return JSON.parse(Buffer.from(raw).toString('utf8'));
    },
    fromJSON(value) {
      if (value === undefined || value === null) return Buffer.alloc(0);
      return new Writer().bytesField(num, Buffer.from(JSON.stringify(value))).finish();
    },
  };
}

/** runtime.RawExtension: raw JSON, or a nested protobuf object (watch events). */
const rawExtension: SpecialCodec = {
  toJSON(bytes, c) {
    const raw = last(fields(bytes), 1)?.bytes;
    return raw && raw.length > 0 ? c.decodeRaw(raw) : null;
  },
  fromJSON(value) {
    if (value === undefined || value === null) return Buffer.alloc(0);
    return new Writer().bytesField(1, Buffer.from(JSON.stringify(value))).finish();
  },
};

const schemaProps = `${apiext}.JSONSchemaProps`;

/** JSONSchemaPropsOrArray: {schema=1, jSONSchemas=2}; JSON is the schema or the array. */
const schemaOrArray: SpecialCodec = {
  toJSON(bytes, c) {
    const fs = fields(bytes);
    const arr = fs.filter((f) => f.num === 2);
    if (arr.length > 0) return arr.map((f) => c.decode(schemaProps, f.bytes));
    const s = last(fs, 1);
    return s ? c.decode(schemaProps, s.bytes) : null;
  },
  fromJSON(value, c) {
    const w = new Writer();
    if (Array.isArray(value)) for (const v of value) w.bytesField(2, c.encode(schemaProps, v));
    else if (value && typeof value === 'object') w.bytesField(1, c.encode(schemaProps, value));
    return w.finish();
  },
};

/** JSONSchemaPropsOrBool: {allows=1, schema=2}; JSON is the schema or the boolean. */
const schemaOrBool: SpecialCodec = {
  toJSON(bytes, c) {
    const fs = fields(bytes);
    const s = last(fs, 2);
    if (s) return c.decode(schemaProps, s.bytes);
    return int(last(fs, 1)) !== 0;
  },
  fromJSON(value, c) {
    const w = new Writer();
    if (value && typeof value === 'object') w.varintField(1, 1).bytesField(2, c.encode(schemaProps, value));
    else w.varintField(1, value === true ? 1 : 0);
    return w.finish();
  },
};

/** JSONSchemaPropsOrStringArray: {schema=1, property=2}; JSON is the string array or the schema. */
const schemaOrStringArray: SpecialCodec = {
  toJSON(bytes, c) {
    const fs = fields(bytes);
    const props = fs.filter((f) => f.num === 2);
    if (props.length > 0) return props.map((f) => str(f));
    const s = last(fs, 1);
    return s ? c.decode(schemaProps, s.bytes) : null;
  },
  fromJSON(value, c) {
    const w = new Writer();
    if (Array.isArray(value)) for (const v of value) w.stringField(2, String(v));
    else if (value && typeof value === 'object') w.bytesField(1, c.encode(schemaProps, value));
    return w.finish();
  },
};

export const specialCodecs: ReadonlyMap<string, SpecialCodec> = new Map([
  [`${meta}.Time`, time],
  [`${meta}.MicroTime`, microTime],
  [`${meta}.Duration`, duration],
  [`${meta}.FieldsV1`, rawJSON(1)],
  ['k8s.io.apimachinery.pkg.api.resource.Quantity', quantity],
  ['k8s.io.apimachinery.pkg.api.resource.QuantityValue', quantity],
  ['k8s.io.apimachinery.pkg.util.intstr.IntOrString', intOrString],
  ['k8s.io.apimachinery.pkg.runtime.RawExtension', rawExtension],
  [`${apiext}.JSON`, rawJSON(1)],
  [`${apiext}.JSONSchemaPropsOrArray`, schemaOrArray],
  [`${apiext}.JSONSchemaPropsOrBool`, schemaOrBool],
  [`${apiext}.JSONSchemaPropsOrStringArray`, schemaOrStringArray],
]);
