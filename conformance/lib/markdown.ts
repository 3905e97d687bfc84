// latest.md: the parity summary for people — counts, then one table row per spec, regressions first.
import type { SideResults, Summary } from './summary.js';

export interface MarkdownExtras {
  /** Wall time of each side's e2e run in seconds, when it ran. */
  durations?: { host?: number; tenant?: number };
  /** Host results, for the host failure messages (latest.json keeps only the tenant's). */
  host?: SideResults;
  /** Where the JUnit files and logs of this run are (git-ignored). */
  runDir?: string;
  parallel?: number;
  /** Caveats about this run, one bullet each. */
  notes?: string[];
}

const ICON: Record<string, string> = { passed: '✅ passed', failed: '❌ failed', skipped: '⏭ skipped' };

/** One table cell: first line only, pipes escaped, bounded length. */
export function cell(text: string, max = 240): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const clipped = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return clipped.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'").trim();
}

function minutes(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

export function renderMarkdown(s: Summary, extras: MarkdownExtras = {}): string {
  const out: string[] = [];
  out.push('# Conformance parity: host vs kplex tenant', '');
  out.push(`- Kubernetes: ${s.kubernetes} · kplex commit: \`${s.commit}\` · date: ${s.date}`);
  out.push(`- Selection: focus \`${s.selection.focus}\` · skip \`${s.selection.skip}\``);
  if (extras.parallel !== undefined) out.push(`- Ginkgo processes: ${extras.parallel}`);
  if (extras.runDir) out.push(`- JUnit and logs: \`${extras.runDir}\` (not committed)`);
  for (const n of extras.notes ?? []) out.push(`- ${n}`);
  out.push('');
  out.push('| Run | Passed | Failed | Skipped | Time |', '| --- | ---: | ---: | ---: | ---: |');
  out.push(
    `| host (admin kubeconfig) | ${s.host.passed} | ${s.host.failed} | ${s.host.skipped} | ${minutes(extras.durations?.host)} |`,
  );
  out.push(
    `| kplex tenant | ${s.tenant.passed} | ${s.tenant.failed} | ${s.tenant.skipped} | ${minutes(extras.durations?.tenant)} |`,
  );
  out.push('');
  out.push(`**Regressions** (pass on the host, not through kplex): ${s.regressions.length}`, '');
  out.push('## Specs', '', '| Spec | Host | kplex | kplex failure message |', '| --- | --- | --- | --- |');
  for (const r of s.specs) {
    const name = s.regressions.includes(r.name) ? `**${cell(r.name, 400)}**` : cell(r.name, 400);
    out.push(
      `| ${name} | ${ICON[r.host]} | ${ICON[r.tenant]} | ${r.tenant === 'passed' ? '' : cell(r.message)} |`,
    );
  }
  const hostFailures = s.specs.filter((r) => r.host === 'failed');
  if (extras.host && hostFailures.length) {
    out.push('', '## Why the host fails', '', '| Spec | Host failure message |', '| --- | --- |');
    for (const r of hostFailures)
      out.push(
        `| ${cell(r.name, 400)} | ${cell(extras.host.specs.get(r.name)?.message ?? extras.host.error ?? '')} |`,
      );
  }
  return out.join('\n') + '\n';
}
