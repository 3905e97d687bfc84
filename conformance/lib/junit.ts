// Reads the JUnit XML e2e.test writes (<report-dir>/junit_01.xml, Ginkgo v2's JUnit reporter with
// Kubernetes' settings: no failure message attribute, no label suffix). Only the handful of
// elements and attributes Ginkgo emits are understood; there is no XML library in the project.

export type SpecStatus = 'passed' | 'failed' | 'skipped';

export interface JUnitCase {
  /** The spec's full text without the leaf node prefix ("[It] "), or the suite node ("[SynchronizedBeforeSuite]"). */
  name: string;
  /** Ginkgo writes the suite description here ("Kubernetes e2e suite"); its focus regex sees it too. */
  classname: string;
  /** 'spec' for It nodes, 'suite' for BeforeSuite/AfterSuite/Report*Suite nodes. */
  kind: 'spec' | 'suite';
  status: SpecStatus;
  /** Ginkgo's own state: passed, failed, timedout, panicked, interrupted, aborted, skipped, pending. */
  state: string;
  /** Seconds. */
  time: number;
  /** The failure message, or the reason given to Skip(); '' otherwise. */
  message: string;
  /** True when Ginkgo skipped the spec at run time with a reason (not merely filtered out). */
  skippedWithReason: boolean;
  /** Where a failure happened ("k8s.io/kubernetes@v1.32.5/test/e2e/e2e.go:211"), from its description; '' if unknown. */
  location: string;
}

const SUITE_NODE =
  /^\[(ReportBeforeSuite|BeforeSuite|SynchronizedBeforeSuite|AfterSuite|SynchronizedAfterSuite|ReportAfterSuite)\]/;
const FAILED_STATES = new Set(['failed', 'timedout', 'panicked', 'interrupted', 'aborted']);
// Ginkgo keeps terminal colours in some messages (e.g. "SynchronizedBeforeSuite failed on ... process #1").
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Decodes the entities Go's encoding/xml writes (named and numeric). */
export function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g))
    out[m[1]!] = decodeXml(m[3] ?? m[4] ?? '');
  return out;
}

function stripCdata(s: string): string {
  return s.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
}

/**
 * The failure message from a failure description when the message attribute is omitted:
 * Ginkgo writes "[FAILED] <message>\nIn [It] at: <location> @ <time>\n..." (or [TIMEDOUT], [PANICKED]...).
 */
export function messageFromDescription(description: string): string {
  const text = description.replace(/^\s*\[[A-Z]+\]\s*/, '');
  const end = text.search(/\n\s*In \[[^\]]+\] at: /);
  return (end >= 0 ? text.slice(0, end) : text).trim();
}

function statusOf(state: string, inner: string): SpecStatus {
  if (state === 'passed') return 'passed';
  if (state === 'skipped' || state === 'pending') return 'skipped';
  if (FAILED_STATES.has(state)) return 'failed';
  // No (known) status attribute: a JUnit file from another producer; judge by the child elements.
  if (/<(failure|error)\b/.test(inner)) return 'failed';
  if (/<skipped\b/.test(inner)) return 'skipped';
  return 'passed';
}

type CaseMessage = Pick<JUnitCase, 'message' | 'skippedWithReason' | 'location'>;

function caseMessage(status: SpecStatus, inner: string): CaseMessage {
  const none: CaseMessage = { message: '', skippedWithReason: false, location: '' };
  if (status === 'failed') {
    const m = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(inner);
    if (!m) return none;
    const attr = attributes(m[2] ?? '').message ?? '';
    const description = decodeXml(stripCdata(m[3] ?? ''));
    return {
      message: attr || messageFromDescription(description),
      skippedWithReason: false,
      location: /\n\s*In \[[^\]]+\] at: (\S+)/.exec(description)?.[1] ?? '',
    };
  }
  if (status === 'skipped') {
    const attr = attributes(/<skipped\b([^>]*)>/.exec(inner)?.[1] ?? '').message ?? '';
    const reason = attr.replace(/^skipped( - )?/, '').trim();
    return { ...none, message: reason, skippedWithReason: reason !== '' && attr !== 'pending' };
  }
  return none;
}

/** Every <testcase> of a JUnit document, in document order. */
export function parseJUnit(xml: string): JUnitCase[] {
  const cases: JUnitCase[] = [];
  for (const m of xml.matchAll(/<testcase\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = attributes(m[1] ?? '');
    const inner = m[3] ?? '';
    const rawName = attrs.name ?? '';
    const state = attrs.status ?? '';
    const status = statusOf(state, inner);
    const kind = SUITE_NODE.test(rawName) ? 'suite' : 'spec';
    cases.push({
      name: kind === 'spec' ? rawName.replace(/^\[It\]\s*/, '') : rawName,
      classname: attrs.classname ?? '',
      kind,
      status,
      state: state || status,
      time: Number(attrs.time ?? 0) || 0,
      ...caseMessage(status, inner.replace(COLOUR, '')),
    });
  }
  return cases;
}
