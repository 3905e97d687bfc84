import { describe, expect, it } from 'vitest';
import { ndjson } from '../../../src/api/ndjson.js';

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

async function all<T>(g: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of g) out.push(v);
  return out;
}

describe('ndjson', () => {
  it('keeps a multi-byte character whole when a chunk boundary splits it', async () => {
    const bytes = Buffer.from('{"name":"caf\u00e9 \u{1F600}"}\n{"n":2}\n', 'utf8');
    const at = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const emoji = bytes.indexOf(0xf0) + 2; // inside the four bytes of the emoji
    const got = await all(
      ndjson(chunks(bytes.subarray(0, at), bytes.subarray(at, emoji), bytes.subarray(emoji))),
    );
    expect(got).toEqual([{ name: 'caf\u00e9 \u{1F600}' }, { n: 2 }]);
  });

  it('joins a line split over chunks, skips blank lines and drops a cut last line', async () => {
    const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
    const got = await all(ndjson(chunks(enc('{"a":'), enc('1}\n\n{"b":2}\r\n{"c":'))));
    expect(got).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('decodes every byte split of a line the same way', async () => {
    const bytes = Buffer.from('{"v":"\u00fc\u4e2d\u{1F680}"}\n', 'utf8');
    for (let i = 1; i < bytes.length; i++) {
      const got = await all(ndjson(chunks(bytes.subarray(0, i), bytes.subarray(i))));
      expect(got).toEqual([{ v: '\u00fc\u4e2d\u{1F680}' }]);
    }
  });
});
