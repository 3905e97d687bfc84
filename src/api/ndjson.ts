// Newline-delimited JSON (a watch stream): one value per line. The bytes are decoded as one
// stream, so a UTF-8 character split across two chunks stays whole; a last line without its
// newline (a stream cut mid-line) is dropped.
import { StringDecoder } from 'node:string_decoder';

export async function* ndjson<T = unknown>(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  const utf8 = new StringDecoder('utf8');
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : utf8.write(chunk as Buffer);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
}
