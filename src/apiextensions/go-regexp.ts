// User-supplied regular expressions (CRD `pattern`, CEL matches/find/findAll) with Go regexp
// semantics: RE2 syntax (`(?i)`, `\z`, `[[:alpha:]]`, `\pL`), Go's parse errors for what RE2
// refuses (backreferences, lookaround), and matching in time linear in the input, so a hostile
// pattern cannot stall the shared event loop.
import { RE2JS } from 're2js';

export interface GoRegexp {
  /** regexp.MatchString: a match anywhere in `s`. */
  test(s: string): boolean;
  /** regexp.FindString: the leftmost match, '' when none. */
  find(s: string): string;
  /** regexp.FindAllString(s, n): successive non-overlapping matches, all when n < 0. */
  findAll(s: string, n: number): string[];
}

class Re2 implements GoRegexp {
  constructor(private readonly re: RE2JS) {}

  test(s: string): boolean {
    return this.re.test(s);
  }

  find(s: string): string {
    const m = this.re.matcher(s);
    return m.find() ? (m.group() ?? '') : '';
  }

  findAll(s: string, n: number): string[] {
    const out: string[] = [];
    if (n === 0) return out;
    const m = this.re.matcher(s);
    // Go skips an empty match that abuts the previous match; Matcher.find does the same.
    while ((n < 0 || out.length < n) && m.find()) out.push(m.group() ?? '');
    return out;
  }
}

const MAX_CACHED = 10_000;
const cache = new Map<string, GoRegexp | Error>();

/** regexp.Compile: the compiled pattern, or Go's `error parsing regexp: ...` as an Error. */
export function compileGoRegexp(pattern: string): GoRegexp | Error {
  let re = cache.get(pattern);
  if (!re) {
    try {
      re = new Re2(RE2JS.compile(pattern));
    } catch (e) {
      re = new Error(e instanceof Error ? e.message : String(e));
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}
