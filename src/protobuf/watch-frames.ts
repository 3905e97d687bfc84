// Protobuf watch streams (`application/vnd.kubernetes.protobuf;stream=watch`): each frame is a
// 4-byte big-endian length and a metav1.WatchEvent{type, object: RawExtension} written by the
// RAW serializer (no envelope; codec_factory.go's StreamSerializer), whose object's raw bytes are
// the envelope-wrapped protobuf object (the embedded encoder).
import { objectToProtobuf, protobufToObject } from './envelope.js';
import { ProtobufError, Writer, scanFields } from './wire.js';

export const protobufWatchContentType = 'application/vnd.kubernetes.protobuf;stream=watch';

export interface WatchEventJSON {
  type: string;
  object: Record<string, unknown>;
}

/** One frame from an already encoded object (envelope bytes). */
export function encodeWatchFrameRaw(type: string, objectEnvelope: Uint8Array): Buffer {
  const raw = new Writer().bytesField(1, objectEnvelope).finish();
  const event = new Writer().stringField(1, type).bytesField(2, raw).finish();
  const len = Buffer.alloc(4);
  len.writeUInt32BE(event.length);
  return Buffer.concat([len, event]);
}

/** One frame for a JSON event object (the object carries apiVersion and kind). */
export function encodeWatchFrame(type: string, object: Record<string, unknown>): Buffer {
  return encodeWatchFrameRaw(type, objectToProtobuf(object));
}

/** Decodes one frame body (without its length prefix) to its type and envelope bytes. */
export function decodeWatchEventRaw(body: Uint8Array): { type: string; object: Uint8Array } {
  let type = '';
  let object: Uint8Array = new Uint8Array(0);
  for (const f of scanFields(body)) {
    if (f.num === 1) type = Buffer.from(f.bytes!).toString('utf8');
    else if (f.num === 2) for (const r of scanFields(f.bytes!)) if (r.num === 1) object = r.bytes!;
  }
  return { type, object };
}

export function decodeWatchEvent(body: Uint8Array): WatchEventJSON {
  const e = decodeWatchEventRaw(body);
  return { type: e.type, object: protobufToObject(e.object) };
}

/** Splits a byte stream into frame bodies; push chunks as they arrive. */
export class WatchFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {}

  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32BE(0);
      if (len > this.maxFrameBytes) throw new ProtobufError(`watch frame of ${len} bytes exceeds the limit`);
      if (this.pending.length < 4 + len) break;
      frames.push(this.pending.subarray(4, 4 + len));
      this.pending = this.pending.subarray(4 + len);
    }
    return frames;
  }
}
