// Live progress from e2e.test's (or the ginkgo CLI's) verbose, colourless output. Ginkgo prints
// "Will run N of M specs", then per finished spec a header line: "• [12.3 seconds]" (passed),
// "• [FAILED] [12.3 seconds]", "S [SKIPPED] [0.1 seconds]" (skipped at run time)... Filtered-out
// specs print a bare "S" and are not counted. The spec's title is the line right after the
// "------" delimiter (serial run: before the header) or right after the header (ginkgo -p).
import type { SpecStatus } from './junit.js';

export interface ProgressCounts {
  total?: number;
  done: number;
  passed: number;
  failed: number;
  skipped: number;
}

export type ProgressEvent =
  | { type: 'total'; total: number }
  | { type: 'spec'; status: SpecStatus; state: string; title: string; seconds: number }
  | { type: 'suite-failed'; line: string };

const HEADER =
  /^[•↺S](?: \[([A-Z]+)\])?(?: \[FLAKEY TEST - TOOK \d+ ATTEMPTS TO PASS\])? \[([\d.]+) seconds\]$/;
const SUITE_FAILED = /^\[(?:Synchronized)?(?:Before|After)Suite\] \[[A-Z]+\]/;
const DELIMITER = /^-{20,}$/;
const TOTAL = /^Will run (\d+) of \d+ specs/;
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function statusOf(state: string): SpecStatus {
  if (state === 'PASSED' || state === '') return 'passed';
  if (state === 'SKIPPED' || state === 'PENDING') return 'skipped';
  return 'failed';
}

export class ProgressParser {
  readonly counts: ProgressCounts = { done: 0, passed: 0, failed: 0, skipped: 0 };
  private partial = '';
  private afterDelimiter = false;
  private title = '';
  private pending?: { state: string; seconds: number };

  constructor(private readonly onEvent: (e: ProgressEvent, counts: ProgressCounts) => void = () => {}) {}

  /** Feeds a chunk of output; complete lines are parsed, the rest waits for the next chunk. */
  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.line(l);
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(raw: string): void {
    // Strip colours in case a caller forgot --no-color, and Windows line ends.
    // Filtered-out specs print bare "S"s without a newline: drop them when a line follows directly.
    const l = raw
      .replace(COLOUR, '')
      .replace(/\r$/, '')
      .replace(/^S+(?=-{20,}|[•↺] |S \[|Will run )/, '');
    if (/^S+$/.test(l)) return; // a run of filtered-out specs
    if (DELIMITER.test(l)) {
      this.afterDelimiter = true;
      return;
    }
    const total = TOTAL.exec(l);
    if (total) {
      this.counts.total = Number(total[1]);
      this.onEvent({ type: 'total', total: this.counts.total }, this.counts);
      return;
    }
    if (SUITE_FAILED.test(l)) {
      this.onEvent({ type: 'suite-failed', line: l }, this.counts);
      return;
    }
    const header = HEADER.exec(l);
    if (this.pending) {
      // ginkgo -p: the title follows the header.
      const p = this.pending;
      this.pending = undefined;
      this.finish(p.state, p.seconds, l.trim());
      if (!header) return;
    }
    if (header) {
      const state = header[1] ?? '';
      const seconds = Number(header[2]);
      if (this.afterDelimiter) this.pending = { state, seconds };
      else this.finish(state, seconds, this.title);
      this.afterDelimiter = false;
      return;
    }
    if (this.afterDelimiter && l.trim() !== '') this.title = l.trim();
    this.afterDelimiter = false;
  }

  private finish(state: string, seconds: number, title: string): void {
    const status = statusOf(state);
    this.counts.done++;
    this.counts[status]++;
    this.onEvent({ type: 'spec', status, state: state || 'PASSED', title, seconds }, this.counts);
  }
}

/** "[host] 12/94 · 10 passed · 2 failed · 0 skipped · 3m05s" */
export function formatProgress(label: string, c: ProgressCounts, elapsedSeconds: number): string {
  const m = Math.floor(elapsedSeconds / 60);
  const s = String(Math.floor(elapsedSeconds % 60)).padStart(2, '0');
  return `[${label}] ${c.done}/${c.total ?? '?'} · ${c.passed} passed · ${c.failed} failed · ${c.skipped} skipped · ${m}m${s}s`;
}
