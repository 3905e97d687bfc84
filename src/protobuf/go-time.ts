// Time and duration text exactly as Go renders metav1.Time (RFC3339, seconds, UTC),
// metav1.MicroTime (RFC3339 with 6 fractional digits) and time.Duration.String().

/** metav1.Time JSON from Unix seconds: `2006-01-02T15:04:05Z`. */
export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime JSON: `2006-01-02T15:04:05.000000Z`. */
export function formatMicroTime(seconds: number, nanos: number): string {
  const micros = Math.floor(nanos / 1000);
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, `.${String(micros).padStart(6, '0')}Z`);
}

/** RFC3339 text -> [Unix seconds, nanoseconds]. */
export function parseTime(text: string): [seconds: number, nanos: number] {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (!m) throw new Error(`parsing time ${JSON.stringify(text)}: not RFC3339`);
  const ms = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) throw new Error(`parsing time ${JSON.stringify(text)}: out of range`);
  return [Math.floor(ms / 1000), Number((m[2] ?? '').padEnd(9, '0'))];
}

const units: Array<[string, number]> = [
  ['h', 3600e9],
  ['m', 60e9],
  ['s', 1e9],
  ['ms', 1e6],
  ['us', 1e3],
  ['µs', 1e3],
  ['μs', 1e3],
  ['ns', 1],
];

/** time.Duration.String() for nanoseconds. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  const sign = neg ? '-' : '';
  const frac = (v: number, digits: number): string => {
    const s = String(v).padStart(digits, '0').replace(/0+$/, '');
    return s ? `.${s}` : '';
  };
  if (u < 1e9) {
    if (u < 1e3) return `${sign}${u}ns`;
    if (u < 1e6) return `${sign}${Math.floor(u / 1e3)}${frac(u % 1e3, 3)}µs`;
    return `${sign}${Math.floor(u / 1e6)}${frac(u % 1e6, 6)}ms`;
  }
  let out = `${Math.floor((u % 60e9) / 1e9)}${frac(u % 1e9, 9)}s`;
  u = Math.floor(u / 60e9);
  if (u > 0) {
    out = `${u % 60}m${out}`;
    u = Math.floor(u / 60);
    if (u > 0) out = `${u}h${out}`;
  }
  return sign + out;
}

/** time.ParseDuration for the forms Kubernetes objects carry (`1h2m3.5s`, `300ms`). */
export function parseDuration(text: string): number {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  while (s.length > 0) {
    const m = /^(\d*\.?\d*)(h|ms|m|s|us|µs|μs|ns)/.exec(s);
    if (!m || m[1] === '' || m[1] === '.') throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * units.find(([u]) => u === m[2])![1];
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}
