// Newline-delimited JSON (a watch stream): one value per line. The bytes are decoded as one
// stream, so a UTF-8 character split across two chunks stays whole; a last line without its
// newline (a stream cut mid-line) is dropped.
import { StringDecoder } from 'node:string_decoder';

async function* lines(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const utf8 = new StringDecoder('utf8');
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : utf8.write(chunk as Buffer);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
}

export async function* ndjson<T = unknown>(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  for await (const line of lines(body)) yield JSON.parse(line) as T;
}

/**
 * The same values with the size of each line: a ring bounded by bytes (the shared host watch's)
 * would otherwise serialize every parsed event again to measure it.
 */
export async function* ndjsonSized<T>(
  body: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<{ value: T; bytes: number }> {
  for await (const line of lines(body)) yield { value: JSON.parse(line) as T, bytes: line.length };
}
