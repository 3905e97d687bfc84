// Newline-delimited JSON values with the size of each line: the event ring is bounded by bytes,
// and measuring a parsed object again would cost a serialization per event.
import { StringDecoder } from 'node:string_decoder';

export async function* sizedLines<T>(
  body: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<{ value: T; bytes: number }> {
  const utf8 = new StringDecoder('utf8');
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : utf8.write(chunk as Buffer);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield { value: JSON.parse(line) as T, bytes: line.length };
    }
  }
}
