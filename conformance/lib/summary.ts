// Parity summary of one conformance run: the same selection against the host and through a kplex
// tenant, spec by spec. latest.json's shape is fixed (issue 5): exactly the fields of Summary.
import type { JUnitCase, SpecStatus } from './junit.js';

export interface Selection {
  focus: string;
  skip: string;
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface SpecRow {
  name: string;
  host: SpecStatus;
  tenant: SpecStatus;
  /** The tenant's failure message (or skip reason); '' when the spec passed through kplex. */
  message: string;
}

export interface Summary {
  kubernetes: string;
  selection: Selection;
  date: string;
  commit: string;
  host: Counts;
  tenant: Counts;
  /** Specs that pass on the host and do not pass through kplex. */
  regressions: string[];
  specs: SpecRow[];
}

/** What one side produced: its JUnit cases, or why it never ran (no JUnit at all). */
export type SideOutcome = { cases: JUnitCase[] } | { error: string };

export interface SpecResult {
  status: SpecStatus;
  message: string;
}

/** One side's results for the selected specs, by spec name. */
export interface SideResults {
  specs: Map<string, SpecResult>;
  /** Why the side produced no result for some or all specs (run or suite setup failure). */
  error?: string;
}

const MAX_MESSAGE = 1000;

/** Go regexp (RE2) to JavaScript for the patterns Ginkgo's --focus/--skip take; undefined if JS cannot read it. */
function goRegExp(pattern: string): RegExp | undefined {
  const flags = pattern.startsWith('(?i)') ? 'i' : '';
  try {
    return new RegExp(flags ? pattern.slice(4) : pattern, flags);
  } catch {
    return undefined;
  }
}

/**
 * True when the spec belongs to the selection. Ginkgo matches focus and skip against
 * "<suite description> <spec text>"; a spec that ran (or was skipped with a reason) was selected
 * even where JavaScript reads the Go regexp differently.
 */
export function isSelected(c: JUnitCase, selection: Selection): boolean {
  if (c.kind !== 'spec') return false;
  if (c.status !== 'skipped' || c.skippedWithReason) return true;
  const focus = goRegExp(selection.focus);
  const skip = goRegExp(selection.skip);
  const text = `${c.classname} ${c.name}`;
  return !!focus && focus.test(text) && !(skip && skip.test(text));
}

function clip(s: string, max = MAX_MESSAGE): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * The selected specs of one side. A failed suite setup node (e.g. SynchronizedBeforeSuite) makes
 * Ginkgo skip every spec: those specs count as failed here, with the setup failure as message.
 */
export function sideResults(outcome: SideOutcome, selection: Selection): SideResults {
  const specs = new Map<string, SpecResult>();
  if ('error' in outcome) return { specs, error: outcome.error };
  // With ginkgo -p every process reports the setup failure; all but one only point at process #1.
  const setups = outcome.cases.filter(
    (c) => c.kind === 'suite' && c.status === 'failed' && /BeforeSuite\]/.test(c.name),
  );
  const setup = setups.find((c) => !/failed on Ginkgo parallel process/.test(c.message)) ?? setups[0];
  const where = setup?.location ? ` at ${setup.location}` : '';
  const error = setup ? `suite setup failed (${setup.name}${where}): ${setup.message}` : undefined;
  for (const c of outcome.cases) {
    if (!isSelected(c, selection)) continue;
    const notRun = error && c.status === 'skipped' && !c.skippedWithReason;
    specs.set(
      c.name,
      notRun ? { status: 'failed', message: clip(error) } : { status: c.status, message: clip(c.message) },
    );
  }
  return error ? { specs, error } : { specs };
}

function resultOf(side: SideResults, name: string, label: string): SpecResult {
  return (
    side.specs.get(name) ?? {
      status: 'failed',
      message: clip(
        `the ${label} run produced no result for this spec${side.error ? `: ${side.error}` : ''}`,
      ),
    }
  );
}

function count(rows: SpecRow[], pick: (r: SpecRow) => SpecStatus): Counts {
  const c: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const r of rows) c[pick(r)]++;
  return c;
}

/** Regressions first, then specs failing on both sides, then passing ones, then skipped; by name within. */
function rank(r: SpecRow): number {
  if (r.host === 'passed' && r.tenant !== 'passed') return 0;
  if (r.tenant === 'failed') return 1;
  if (r.tenant === 'passed') return 2;
  return 3;
}

export interface SummaryMeta {
  kubernetes: string;
  selection: Selection;
  date: string;
  commit: string;
}

export function buildSummary(meta: SummaryMeta, host: SideResults, tenant: SideResults): Summary {
  const names = new Set([...host.specs.keys(), ...tenant.specs.keys()]);
  const specs: SpecRow[] = [...names].map((name) => {
    const h = resultOf(host, name, 'host');
    const t = resultOf(tenant, name, 'tenant');
    return { name, host: h.status, tenant: t.status, message: t.status === 'passed' ? '' : t.message };
  });
  specs.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return {
    kubernetes: meta.kubernetes,
    selection: { focus: meta.selection.focus, skip: meta.selection.skip },
    date: meta.date,
    commit: meta.commit,
    host: count(specs, (r) => r.host),
    tenant: count(specs, (r) => r.tenant),
    regressions: specs.filter((r) => rank(r) === 0).map((r) => r.name),
    specs,
  };
}
