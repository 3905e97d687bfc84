import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseJUnit } from '../../../conformance/lib/junit.js';
import { renderMarkdown } from '../../../conformance/lib/markdown.js';
import { DEFAULT_FOCUS, DEFAULT_SKIP } from '../../../conformance/lib/options.js';
import { buildSummary, sideResults, type SideOutcome } from '../../../conformance/lib/summary.js';

const fixture = (f: string): SideOutcome => ({
  cases: parseJUnit(
    readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', f), 'utf8'),
  ),
});
const selection = { focus: DEFAULT_FOCUS, skip: DEFAULT_SKIP };
const meta = { kubernetes: 'v1.32.5', selection, date: '2026-11-23T18:00:00.000Z', commit: 'abc123' };
const QUOTA =
  '[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a pod. [Conformance]';
const WATCH =
  '[sig-api-machinery] Watchers should observe add, update, and delete watch notifications on configmaps [Conformance]';
const WEBHOOK =
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] should honor timeout [Conformance]';
const CHUNKING =
  '[sig-api-machinery] Servers with support for API chunking should support continue listing from the last key if the original version has been compacted away, though the list is inconsistent [Slow] [Conformance]';

describe('buildSummary', () => {
  const summary = buildSummary(
    meta,
    sideResults(fixture('host.xml'), selection),
    sideResults(fixture('tenant.xml'), selection),
  );

  it('has exactly the fields latest.json promises', () => {
    expect(Object.keys(summary)).toEqual([
      'kubernetes',
      'selection',
      'date',
      'commit',
      'host',
      'tenant',
      'regressions',
      'specs',
    ]);
    expect(Object.keys(summary.selection)).toEqual(['focus', 'skip']);
    for (const s of summary.specs) expect(Object.keys(s)).toEqual(['name', 'host', 'tenant', 'message']);
  });

  it('keeps only the selection: no other sig, nothing the skip regex drops', () => {
    expect(summary.specs.map((s) => s.name).sort()).toEqual([CHUNKING, QUOTA, WATCH, WEBHOOK].sort());
  });

  it('counts each side', () => {
    expect(summary.host).toEqual({ passed: 2, failed: 1, skipped: 1 });
    expect(summary.tenant).toEqual({ passed: 1, failed: 2, skipped: 1 });
  });

  it('lists as regressions exactly the specs passing on the host and not through kplex, first', () => {
    expect(summary.regressions).toEqual([QUOTA]);
    expect(summary.specs[0]).toEqual({
      name: QUOTA,
      host: 'passed',
      tenant: 'failed',
      message: 'A suite timeout occurred',
    });
    expect(summary.specs.map((s) => s.name)).toEqual([QUOTA, WEBHOOK, WATCH, CHUNKING]);
  });

  it('carries the tenant failure message, none for passing specs', () => {
    expect(summary.specs.find((s) => s.name === WEBHOOK)!.message).toMatch(
      /^waiting for the deployment status valid: deployment <not ready> \| replicas 0$/,
    );
    expect(summary.specs.find((s) => s.name === WATCH)!.message).toBe('');
  });

  it('turns specs skipped by a failed suite setup into failures carrying the setup error', () => {
    const s = buildSummary(
      meta,
      sideResults(fixture('host.xml'), selection),
      sideResults(fixture('setup-failed.xml'), selection),
    );
    const watch = s.specs.find((r) => r.name === WATCH)!;
    expect(watch.tenant).toBe('failed');
    expect(watch.message).toMatch(
      /^suite setup failed \(\[SynchronizedBeforeSuite\] at k8s.io\/kubernetes@v1.32.5\/test\/e2e\/e2e.go:69\): Error waiting for all nodes to be schedulable: no nodes/,
    );
    expect(s.regressions).toContain(QUOTA); // absent from the tenant's JUnit: no result is not a pass
    expect(s.specs.find((r) => r.name === QUOTA)!.message).toMatch(
      /^the tenant run produced no result for this spec: suite setup failed/,
    );
  });

  it('reports every host pass as a regression when the tenant side could not run at all', () => {
    const s = buildSummary(
      meta,
      sideResults(fixture('host.xml'), selection),
      sideResults({ error: 'tenant setup failed: 404' }, selection),
    );
    expect(s.regressions.sort()).toEqual([QUOTA, WATCH].sort());
    expect(s.tenant).toEqual({ passed: 0, failed: 4, skipped: 0 });
    expect(s.specs[0]!.message).toContain('tenant setup failed: 404');
  });

  it('has no regressions when the tenant matches the host', () => {
    const s = buildSummary(
      meta,
      sideResults(fixture('host.xml'), selection),
      sideResults(fixture('host.xml'), selection),
    );
    expect(s.regressions).toEqual([]);
    expect(s.tenant).toEqual(s.host);
  });
});

describe('renderMarkdown', () => {
  const host = sideResults(fixture('host.xml'), selection);
  const md = renderMarkdown(buildSummary(meta, host, sideResults(fixture('tenant.xml'), selection)), {
    host,
    durations: { host: 125, tenant: 61 },
  });

  it('shows counts, run times and the regression count', () => {
    expect(md).toContain('| host (admin kubeconfig) | 2 | 1 | 1 | 2m05s |');
    expect(md).toContain('| kplex tenant | 1 | 2 | 1 | 1m01s |');
    expect(md).toContain('**Regressions** (pass on the host, not through kplex): 1');
  });

  it('lists regressions first, in bold, with escaped one-line messages', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| [') || l.startsWith('| **'));
    expect(rows[0]).toBe(`| **${QUOTA}** | ✅ passed | ❌ failed | A suite timeout occurred |`);
    expect(md).toContain('deployment <not ready> \\| replicas 0 |');
  });

  it('explains host failures from the host messages', () => {
    expect(md).toContain('## Why the host fails');
    expect(md).toMatch(
      /\| \[sig-api-machinery\] AdmissionWebhook .* \| waiting for the deployment status valid%!\(EXTRA/,
    );
  });

  it('lists caveats of the run as bullets', () => {
    const s = buildSummary(meta, host, host);
    expect(renderMarkdown(s, { notes: ['kplex: reused a server'] })).toContain(
      '\n- kplex: reused a server\n',
    );
    expect(renderMarkdown(s)).not.toContain('reused');
  });
});
