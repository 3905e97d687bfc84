// A JSON parser that reports duplicate object keys with their paths, as the apiserver's strict
// decoder does (sigs.k8s.io/json: `duplicate field "spec.replicas"`, arrays as `[0]`).
// The last value of a duplicated key wins, as in Go's decoder.

export interface StrictParseResult {
  value: unknown;
  duplicates: string[];
}

export class JSONSyntaxError extends Error {}

export function parseJSONStrict(text: string): StrictParseResult {
  let i = 0;
  const duplicates: string[] = [];
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t'))
      i++;
  };
  const fail = (msg: string): never => {
    throw new JSONSyntaxError(`${msg} at offset ${i}`);
  };
  const str = (): string => {
    const start = i;
    // Jump from quote to quote (indexOf, not a loop per character: a body may hold megabytes of
    // string); a quote after an odd run of backslashes is escaped.
    let end = i;
    for (;;) {
      end = text.indexOf('"', end + 1);
      if (end < 0) {
        i = text.length;
        return fail('unterminated string');
      }
      let slashes = 0;
      while (text.charCodeAt(end - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) break;
    }
    i = end + 1;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
  const value = (path: string): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected string key');
        const key = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        const childPath = join(path, key);
        if (seen.has(key)) duplicates.push(childPath);
        seen.add(key);
        const v = value(childPath);
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(`${path}[${arr.length}]`));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return fail('invalid character');
    i += m[0].length;
    return JSON.parse(m[0]) as unknown;
  };
  const v = value('');
  ws();
  if (i !== text.length) fail('invalid character after top-level value');
  return { value: v, duplicates };
}
