// Protobuf wire format: varints (int64 via BigInt only past 49 bits), length-delimited fields,
// fixed 32/64-bit values, and a field scanner that keeps byte offsets so bodies can be spliced.

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export class ProtobufError extends Error {}

/** One field occurrence: its number, wire type, value (number|bigint-free) and byte range. */
export interface RawField {
  num: number;
  wire: number;
  /** Varint (as a signed int64 Number) or fixed value bits; undefined for bytes. */
  int?: number;
  /** The payload of a length-delimited field (a view into the input). */
  bytes?: Uint8Array;
  /** Offsets of the whole field (tag included) in the scanned buffer. */
  start: number;
  end: number;
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw new ProtobufError('unexpected EOF in varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos];
    mul *= 128;
  }
  // More than 49 bits: finish in BigInt and read as a two's complement int64 (negative int32/int64).
  let big = BigInt(result);
  let shift = 49n;
  for (let i = 7; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufError('unexpected EOF in varint');
    const b = buf[pos++]!;
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [Number(BigInt.asIntN(64, big)), pos];
    shift += 7n;
  }
  throw new ProtobufError('varint overflow');
}

/** Splits one message into its field occurrences, in wire order. */
export function scanFields(buf: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    if (num === 0) throw new ProtobufError('illegal field number 0');
    if (wire === WireType.varint) {
      const [v, p] = readVarint(buf, pos);
      pos = p;
      out.push({ num, wire, int: v, start, end: pos });
    } else if (wire === WireType.bytes) {
      const [len, p] = readVarint(buf, pos);
      if (len < 0 || p + len > buf.length)
        throw new ProtobufError('unexpected EOF in length-delimited field');
      pos = p + len;
      out.push({ num, wire, bytes: buf.subarray(p, pos), start, end: pos });
    } else if (wire === WireType.fixed64) {
      if (pos + 8 > buf.length) throw new ProtobufError('unexpected EOF in fixed64');
      out.push({ num, wire, bytes: buf.subarray(pos, pos + 8), start, end: pos + 8 });
      pos += 8;
    } else if (wire === WireType.fixed32) {
      if (pos + 4 > buf.length) throw new ProtobufError('unexpected EOF in fixed32');
      out.push({ num, wire, bytes: buf.subarray(pos, pos + 4), start, end: pos + 4 });
      pos += 4;
    } else {
      throw new ProtobufError(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

/** Reads a packed run of varints (proto2 decoders must accept packed repeated scalars too). */
export function readPackedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [v, p] = readVarint(bytes, pos);
    out.push(v);
    pos = p;
  }
  return out;
}

/** An append-only byte buffer with protobuf writers. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number): this {
    if (v < 0 || v > Number.MAX_SAFE_INTEGER)
      return this.bigVarint(BigInt.asUintN(64, BigInt(Math.trunc(v))));
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
    return this;
  }

  private bigVarint(v: bigint): this {
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  tag(num: number, wire: number): this {
    return this.varint(num * 8 + wire);
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  bytesField(num: number, bytes: Uint8Array): this {
    return this.tag(num, WireType.bytes).varint(bytes.length).raw(bytes);
  }

  stringField(num: number, s: string): this {
    return this.bytesField(num, Buffer.from(s, 'utf8'));
  }

  varintField(num: number, v: number): this {
    return this.tag(num, WireType.varint).varint(v);
  }

  doubleField(num: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.tag(num, WireType.fixed64).raw(b);
  }

  floatField(num: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    return this.tag(num, WireType.fixed32).raw(b);
  }

  finish(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len);
  }
}
