// RFC 6455 frames as a server sends them, read off the host's side of an upgraded WebSocket in
// whatever chunks TCP delivers. Every frame passes through byte for byte, except data messages a
// selector picks (buffered whole, bounded, and sent again as one frame with their rewritten
// payload) and close frames (whose reason text is rewritten). Anything a server must not send
// (masked frames, reserved bits without a negotiated extension, unknown opcodes, malformed
// control frames or fragmentation) fails the stream: kplex does not guess at what it cannot read.
import { Transform, type TransformCallback } from 'node:stream';

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface FrameHeader {
  fin: boolean;
  opcode: number;
  /** Payload length. */
  length: number;
  /** Bytes of the header itself (2, 4 or 10: a server's frames carry no masking key). */
  headerLength: number;
}

export class WebSocketFrameError extends Error {}

const KNOWN_OPCODES = new Set<number>(Object.values(OPCODE));

/** The header at the start of `buf`, or undefined until all its bytes are there. Throws on a frame no server may send. */
export function parseHeader(buf: Buffer): FrameHeader | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const fin = (b0 & 0x80) !== 0;
  const opcode = b0 & 0x0f;
  if (b0 & 0x70) throw new WebSocketFrameError('reserved bits set without a negotiated extension');
  if (!KNOWN_OPCODES.has(opcode)) throw new WebSocketFrameError(`unknown opcode ${opcode}`);
  if (b1 & 0x80) throw new WebSocketFrameError('a server frame must not be masked');
  let length = b1 & 0x7f;
  let headerLength = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    headerLength = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new WebSocketFrameError('frame length out of range');
    length = Number(big);
    headerLength = 10;
  }
  if (opcode >= OPCODE.close && (!fin || length > 125))
    throw new WebSocketFrameError('a control frame must be final and at most 125 bytes');
  return { fin, opcode, length, headerLength };
}

/** One unmasked frame with the shortest length encoding. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const head = Buffer.alloc(n < 126 ? 2 : n < 0x10000 ? 4 : 10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) head[1] = n;
  else if (n < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

export interface MessageRewrite {
  /** Whether the data message whose payload starts with byte `first` is rewritten. */
  select(opcode: number, first: number): boolean;
  /** The new payload of a selected message. */
  rewrite(payload: Buffer): Buffer;
  /** The payload sent instead of a selected message longer than `maxMessage`. */
  tooLarge(payload: Buffer): Buffer;
  /** The reason text of a close frame. */
  rewriteText(text: string): string;
  /** Most bytes of a selected message buffered (default 1 MiB). */
  maxMessage?: number;
}

type MessageMode =
  | 'none'
  | 'pending' // a data message began; its first payload byte (which decides) has not come yet
  | 'pass'
  | 'buffer'
  | 'drop'; // a selected message over the limit: replaced already, the rest discarded

const MAX_HEADER = 10;
const MAX_PENDING = 64 * 1024;

/** Host-to-client bytes of a WebSocket: a Transform that rewrites what `r` selects. */
export class ServerFrameRewriter extends Transform {
  private header = Buffer.alloc(0);
  private frame: (FrameHeader & { remaining: number }) | undefined;
  private mode: MessageMode = 'none';
  private messageOpcode = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private control: Buffer[] = [];
  private sawClose = false;
  private readonly max: number;

  constructor(private readonly r: MessageRewrite) {
    super();
    this.max = r.maxMessage ?? 1024 * 1024;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    // A stream that ends inside a frame or a selected message: what was held is not sent (a
    // partial error message is no use to the client, and unrewritten it could name host things).
    cb();
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.sawClose) return; // nothing a server sends after its close frame counts (RFC 6455 5.5.1)
      if (!this.frame) {
        const had = this.header.length;
        const take = chunk.subarray(at, at + MAX_HEADER - had);
        const buf = had ? Buffer.concat([this.header, take]) : take;
        const h = parseHeader(buf);
        if (!h) {
          this.header = Buffer.from(buf);
          at += take.length;
          continue;
        }
        at += h.headerLength - had;
        this.header = Buffer.alloc(0);
        this.frame = { ...h, remaining: h.length };
        this.startFrame(buf.subarray(0, h.headerLength));
        if (h.length === 0) this.endFrame();
        continue;
      }
      const n = Math.min(this.frame.remaining, chunk.length - at);
      this.payload(chunk.subarray(at, at + n));
      at += n;
      this.frame.remaining -= n;
      if (this.frame.remaining === 0) this.endFrame();
    }
  }

  private startFrame(rawHeader: Buffer): void {
    const f = this.frame!;
    if (f.opcode >= OPCODE.close) {
      this.control = [];
      return;
    }
    if (f.opcode === OPCODE.continuation) {
      if (this.mode === 'none') throw new WebSocketFrameError('a continuation frame outside a message');
    } else {
      if (this.mode !== 'none') throw new WebSocketFrameError('a new message inside a fragmented one');
      this.mode = 'pending';
      this.messageOpcode = f.opcode;
      this.held = [];
      this.heldBytes = 0;
    }
    if (this.mode === 'pending') this.hold(rawHeader);
    else if (this.mode === 'pass') this.push(Buffer.from(rawHeader));
    // 'buffer' and 'drop': the message is framed anew, its own headers are not sent.
  }

  private payload(bytes: Buffer): void {
    const f = this.frame!;
    if (f.opcode >= OPCODE.close) {
      this.control.push(Buffer.from(bytes));
      return;
    }
    if (this.mode === 'pending') {
      if (this.r.select(this.messageOpcode, bytes[0]!)) {
        this.mode = 'buffer';
        this.held = [];
        this.heldBytes = 0;
      } else {
        this.mode = 'pass';
        for (const b of this.held) this.push(b);
        this.held = [];
        this.heldBytes = 0;
      }
    }
    if (this.mode === 'pass') this.push(Buffer.from(bytes));
    else if (this.mode === 'buffer') {
      this.hold(bytes);
      if (this.heldBytes > this.max) {
        this.push(encodeFrame(this.messageOpcode, this.r.tooLarge(Buffer.concat(this.held))));
        this.mode = 'drop';
        this.held = [];
        this.heldBytes = 0;
      }
    }
  }

  private endFrame(): void {
    const f = this.frame!;
    this.frame = undefined;
    if (f.opcode >= OPCODE.close) {
      const payload = Buffer.concat(this.control);
      this.control = [];
      if (f.opcode === OPCODE.close) {
        this.sawClose = true;
        this.push(encodeFrame(OPCODE.close, this.closePayload(payload)));
      } else this.push(encodeFrame(f.opcode, payload));
      return;
    }
    if (!f.fin) return;
    if (this.mode === 'pending')
      for (const b of this.held) this.push(b); // a message of empty frames
    else if (this.mode === 'buffer')
      this.push(encodeFrame(this.messageOpcode, this.r.rewrite(Buffer.concat(this.held))));
    this.mode = 'none';
    this.held = [];
    this.heldBytes = 0;
  }

  private hold(bytes: Buffer): void {
    this.held.push(Buffer.from(bytes));
    this.heldBytes += bytes.length;
    // Headers of empty frames before the first payload byte: few in any real stream.
    if (this.mode === 'pending' && this.heldBytes > MAX_PENDING)
      throw new WebSocketFrameError('too many empty fragments');
  }

  /** A close frame's status code kept, its reason rewritten (cut to fit 125 bytes at a character boundary). */
  private closePayload(payload: Buffer): Buffer {
    if (payload.length <= 2) return payload;
    let reason = Buffer.from(this.r.rewriteText(payload.subarray(2).toString('utf8')), 'utf8');
    if (reason.length > 123) {
      let end = 123;
      while (end > 0 && (reason[end]! & 0xc0) === 0x80) end--;
      reason = reason.subarray(0, end);
    }
    return Buffer.concat([payload.subarray(0, 2), reason]);
  }
}
