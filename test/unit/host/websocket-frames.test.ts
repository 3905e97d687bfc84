// The host-to-client WebSocket frames of exec/attach/portforward: container I/O passes byte for
// byte however TCP splits it, error channel messages and close reasons come out rewritten (one
// frame, new length), and frames no server may send fail the stream.
import { describe, expect, it } from 'vitest';
import {
  OPCODE,
  ServerFrameRewriter,
  WebSocketFrameError,
  encodeFrame,
  parseHeader,
} from '../../../src/host/websocket-frames.js';
import { upgradeSubresource, webSocketRewriter } from '../../../src/host/upgrade-stream.js';

const HOST_NS = 'acme-7f3a-default';
const rewrite = (t: string): string => t.replaceAll(HOST_NS, 'default');
const v5 = (): ServerFrameRewriter => webSocketRewriter('attach', 'v5.channel.k8s.io', rewrite);

const status = (ns: string): string =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `pod "${ns}/p1" is not running`,
  });
const channel = (ch: number, text: string | Buffer): Buffer =>
  Buffer.concat([Buffer.from([ch]), typeof text === 'string' ? Buffer.from(text) : text]);

/** Feeds `chunks` and returns everything the transform produced, or the error it failed with. */
async function run(t: ServerFrameRewriter, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    t.on('end', resolve);
    t.on('error', reject);
  });
  for (const c of chunks) t.write(c);
  t.end();
  await ended;
  return Buffer.concat(out);
}

const bytewise = (b: Buffer): Buffer[] => [...b].map((x) => Buffer.from([x]));

/** Frames of a byte stream (test side): opcode, fin and payload. */
function frames(b: Buffer): { opcode: number; fin: boolean; payload: Buffer }[] {
  const out = [];
  let at = 0;
  while (at < b.length) {
    const h = parseHeader(b.subarray(at))!;
    out.push({
      opcode: h.opcode,
      fin: h.fin,
      payload: b.subarray(at + h.headerLength, at + h.headerLength + h.length),
    });
    at += h.headerLength + h.length;
  }
  return out;
}

describe('parseHeader and encodeFrame', () => {
  it('uses 7-bit, 16-bit and 64-bit lengths', () => {
    for (const [n, hl] of [
      [125, 2],
      [126, 4],
      [65535, 4],
      [65536, 10],
    ]) {
      const f = encodeFrame(OPCODE.binary, Buffer.alloc(n!));
      expect(parseHeader(f)).toEqual({ fin: true, opcode: OPCODE.binary, length: n, headerLength: hl });
    }
  });

  it('is undefined until the extended length is complete', () => {
    const f = encodeFrame(OPCODE.binary, Buffer.alloc(70_000));
    for (let i = 0; i < 10; i++) expect(parseHeader(f.subarray(0, i))).toBeUndefined();
    expect(parseHeader(f.subarray(0, 10))?.length).toBe(70_000);
  });

  it.each([
    ['a masked frame', Buffer.from([0x82, 0x81, 1, 2, 3, 4, 0])],
    ['reserved bits', Buffer.from([0xc2, 0x00])],
    ['an unknown opcode', Buffer.from([0x83, 0x00])],
    ['a fragmented control frame', Buffer.from([0x09, 0x00])],
    ['a control frame over 125 bytes', Buffer.from([0x89, 126, 0, 126])],
    ['a 64-bit length with the top bit set', Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1])],
  ])('refuses %s', (_, b) => {
    expect(() => parseHeader(b)).toThrow(WebSocketFrameError);
  });
});

describe('ServerFrameRewriter (remotecommand v5)', () => {
  const io = Buffer.concat([
    encodeFrame(OPCODE.binary, channel(1, `stdout mentions ${HOST_NS}\n`)),
    encodeFrame(OPCODE.binary, channel(2, 'stderr')),
    encodeFrame(OPCODE.ping, Buffer.from('p')),
    encodeFrame(OPCODE.binary, channel(1, Buffer.alloc(70_000, 7))),
    encodeFrame(OPCODE.binary, Buffer.alloc(0)),
  ]);

  it('passes container I/O and pings byte for byte, in one chunk or one byte at a time', async () => {
    expect((await run(v5(), [io])).equals(io)).toBe(true);
    expect((await run(v5(), bytewise(io))).equals(io)).toBe(true);
  });

  it('rewrites the error channel and frames it again with the new length', async () => {
    const err = encodeFrame(OPCODE.binary, channel(3, status(HOST_NS)));
    const out = await run(v5(), [Buffer.concat([io, err])]);
    expect(out.subarray(0, io.length).equals(io)).toBe(true);
    const f = frames(out.subarray(io.length));
    expect(f).toHaveLength(1);
    expect(f[0]!.payload.equals(channel(3, status('default')))).toBe(true);
    expect(out.toString('latin1')).not.toContain(`${HOST_NS}/p1`);
  });

  it('rewrites an error message split across chunks at every byte', async () => {
    const err = encodeFrame(OPCODE.binary, channel(3, status(HOST_NS)));
    const out = await run(v5(), bytewise(err));
    expect(frames(out)[0]!.payload.toString()).toBe(`\x03${status('default')}`);
  });

  it('joins a fragmented error message into one rewritten frame; a ping in between goes first', async () => {
    const text = channel(3, status(HOST_NS));
    const cut = 30; // inside the host namespace name
    const stream = Buffer.concat([
      encodeFrame(OPCODE.binary, text.subarray(0, cut), false),
      encodeFrame(OPCODE.ping, Buffer.from('x')),
      encodeFrame(OPCODE.continuation, text.subarray(cut, cut + 10), false),
      encodeFrame(OPCODE.continuation, text.subarray(cut + 10), true),
    ]);
    const f = frames(await run(v5(), bytewise(stream)));
    expect(f.map((x) => x.opcode)).toEqual([OPCODE.ping, OPCODE.binary]);
    expect(f[1]!.fin).toBe(true);
    expect(f[1]!.payload.toString()).toBe(`\x03${status('default')}`);
  });

  it('decides by the first payload byte even after an empty first fragment', async () => {
    const stream = Buffer.concat([
      encodeFrame(OPCODE.binary, Buffer.alloc(0), false),
      encodeFrame(OPCODE.continuation, channel(3, status(HOST_NS))),
    ]);
    expect(frames(await run(v5(), [stream]))[0]!.payload.toString()).toBe(`\x03${status('default')}`);
  });

  it('passes a fragmented stdout message byte for byte', async () => {
    const stream = Buffer.concat([
      encodeFrame(OPCODE.binary, channel(1, HOST_NS), false),
      encodeFrame(OPCODE.pong, Buffer.alloc(0)),
      encodeFrame(OPCODE.continuation, Buffer.alloc(300, 1), true),
    ]);
    expect((await run(v5(), bytewise(stream))).equals(stream)).toBe(true);
  });

  it('rewrites an error message with a 64-bit length', async () => {
    const big = status(`${HOST_NS}" ${'x'.repeat(70_000)} "${HOST_NS}`);
    const stream = encodeFrame(OPCODE.binary, channel(3, big));
    expect(parseHeader(stream)!.headerLength).toBe(10);
    const f = frames(
      await run(v5(), [stream.subarray(0, 5), stream.subarray(5, 40_000), stream.subarray(40_000)]),
    );
    expect(f[0]!.payload.toString()).toBe(`\x03${big.replaceAll(HOST_NS, 'default')}`);
  });

  it('replaces an error message over the limit by a generic Status and goes on', async () => {
    const t = new ServerFrameRewriter({
      ...webSocketRewriterOptions(),
      maxMessage: 100,
    });
    const stream = Buffer.concat([
      encodeFrame(OPCODE.binary, channel(3, status(HOST_NS).repeat(3)), false),
      encodeFrame(OPCODE.continuation, Buffer.from(HOST_NS)),
      encodeFrame(OPCODE.binary, channel(1, 'after')),
    ]);
    const out = await run(t, bytewise(stream));
    expect(out.toString('latin1')).not.toContain(HOST_NS);
    const f = frames(out);
    expect(f.map((x) => x.payload[0])).toEqual([3, 1]);
    expect(JSON.parse(f[0]!.payload.subarray(1).toString())).toMatchObject({ kind: 'Status', code: 500 });
  });

  it('rewrites the reason of a close frame and keeps its code; nothing after the close passes', async () => {
    const close = encodeFrame(
      OPCODE.close,
      Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from(`ns ${HOST_NS}`)]),
    );
    const after = encodeFrame(OPCODE.binary, channel(1, HOST_NS));
    const f = frames(await run(v5(), bytewise(Buffer.concat([close, after]))));
    expect(f).toHaveLength(1);
    expect(f[0]!.payload.readUInt16BE(0)).toBe(1000);
    expect(f[0]!.payload.subarray(2).toString()).toBe('ns default');
  });

  it.each([
    ['a masked frame', Buffer.from([0x82, 0x85, 1, 2, 3, 4, 2, 0x68, 0x6f, 0x68, 0x6b])],
    ['a continuation outside a message', encodeFrame(OPCODE.continuation, Buffer.from('x'))],
    [
      'a new message inside a fragmented one',
      Buffer.concat([
        encodeFrame(OPCODE.binary, channel(1, 'a'), false),
        encodeFrame(OPCODE.binary, channel(1, 'b')),
      ]),
    ],
  ])('fails the stream on %s from the host', async (_, b) => {
    await expect(run(v5(), [b])).rejects.toThrow(WebSocketFrameError);
  });

  it('fails the stream on a masked frame that arrives after good ones', async () => {
    const masked = Buffer.from([0x82, 0x81, 1, 2, 3, 4, 2]);
    await expect(run(v5(), bytewise(Buffer.concat([io, masked])))).rejects.toThrow(/masked/);
  });
});

/** The options of the v5 rewriter, to build one with a small buffering limit. */
function webSocketRewriterOptions(): ConstructorParameters<typeof ServerFrameRewriter>[0] {
  return {
    select: (_op, first) => first === 3,
    rewrite: (p) => Buffer.from(rewrite(p.toString('latin1')), 'latin1'),
    tooLarge: (p) => Buffer.concat([p.subarray(0, 1), Buffer.from('{"kind":"Status","code":500}')]),
    rewriteText: rewrite,
  };
}

describe('webSocketRewriter protocols', () => {
  it('rewrites the base64 channel protocol (channel as an ASCII digit)', async () => {
    const t = webSocketRewriter('exec', 'v4.base64.channel.k8s.io', rewrite);
    const b64 = (s: string): Buffer => Buffer.from(Buffer.from(s).toString('base64'));
    const stdout = encodeFrame(OPCODE.text, Buffer.concat([Buffer.from('1'), b64(HOST_NS)]));
    const err = encodeFrame(OPCODE.text, Buffer.concat([Buffer.from('3'), b64(status(HOST_NS))]));
    const out = await run(t, [Buffer.concat([stdout, err])]);
    expect(out.subarray(0, stdout.length).equals(stdout)).toBe(true);
    const p = frames(out.subarray(stdout.length))[0]!.payload;
    expect(p.subarray(0, 1).toString()).toBe('3');
    expect(Buffer.from(p.subarray(1).toString(), 'base64').toString()).toBe(status('default'));
  });

  it('rewrites the odd (error) channels of WebSocket port forwarding, not the data channels', async () => {
    const t = webSocketRewriter('portforward', 'v4.channel.k8s.io', rewrite);
    const data = encodeFrame(OPCODE.binary, channel(2, HOST_NS));
    const port = encodeFrame(OPCODE.binary, channel(3, Buffer.from([0x50, 0x00])));
    const err = encodeFrame(OPCODE.binary, channel(3, `error forwarding port 80 to pod p1_${HOST_NS}`));
    const out = await run(t, [Buffer.concat([data, port, err])]);
    const f = frames(out);
    expect(f[0]!.payload.equals(channel(2, HOST_NS))).toBe(true);
    expect(f[1]!.payload.equals(channel(3, Buffer.from([0x50, 0x00])))).toBe(true);
    expect(f[2]!.payload.toString()).toBe('\x03error forwarding port 80 to pod p1_default');
  });

  it('passes SPDY tunnelled in WebSocket as it is, close reasons aside', async () => {
    const t = webSocketRewriter('portforward', 'SPDY/3.1+portforward.k8s.io', rewrite);
    const spdy = encodeFrame(OPCODE.binary, channel(3, HOST_NS));
    expect((await run(t, [spdy])).equals(spdy)).toBe(true);
  });

  it('finds the subresource of an upgrade path', () => {
    expect(upgradeSubresource('/api/v1/namespaces/h/pods/p/exec?command=id')).toBe('exec');
    expect(upgradeSubresource('/api/v1/namespaces/h/pods/p/portforward')).toBe('portforward');
    expect(upgradeSubresource('/api/v1/namespaces/h/pods/exec/log')).toBeUndefined();
  });
});
