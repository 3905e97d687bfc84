// `npm run conformance`: the conformance parity run (../../shared/design.md, "Conformance parity").
// The same e2e.test selection runs against the local host's admin kubeconfig, then through a
// fresh kplex tenant on that same host. The two runs go one after the other, never interleaved:
// specs create cluster-scoped objects (webhook configurations, APIServices, CRDs, namespaces
// being finalized) whose effects on the shared host would leak from one run into the other, and on
// a 2-core machine two suites at once would make timing-sensitive specs fail on either side.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readState } from '../deploy/local-host/host.js';
import { renderMarkdown } from './lib/markdown.js';
import { parseRunOptions, USAGE, type RunOptions } from './lib/options.js';
import { runSide, type SideRun } from './lib/run-e2e.js';
import {
  createTenant,
  deleteTenant,
  ensureE2EBinaries,
  ensureHost,
  ensureKplex,
  gitCommit,
  hostVersion,
  stackPaths,
} from './lib/stack.js';
import { buildSummary, sideResults } from './lib/summary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'conformance', 'results');

function runId(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
}

async function main(o: RunOptions): Promise<number> {
  const started = new Date();
  const id = runId(started);
  const runDir = path.join(resultsDir, `junit-${id}`);
  const p = stackPaths(root);
  const selection = { focus: o.focus, skip: o.skip };
  console.log(`conformance run ${id}: focus ${o.focus} · skip ${o.skip} · ${o.parallel} process(es)`);

  const bin = ensureE2EBinaries(root);
  await ensureHost(p);
  const server = readState(p.hostDir)?.server;
  const kubernetes = await hostVersion(p);

  // Prepare the tenant first: a broken kplex shows up in seconds, not after the host run.
  const tenant = `conformance-${id}`;
  const tenantKubeconfig = path.join(root, '.kplex', 'conformance', `${tenant}.kubeconfig`);
  let tenantError: string | undefined;
  const notes: string[] = [];
  try {
    if (ensureKplex(p)) {
      notes.push(
        'kplex: reused an already running `kplex serve`; it may predate this commit (restart it after changing kplex)',
      );
      console.warn(`note: ${notes[0]}`);
    }
    createTenant(p, tenant, tenantKubeconfig);
    console.log(`tenant ${tenant} ready (kubeconfig ${path.relative(root, tenantKubeconfig)})`);
  } catch (err) {
    tenantError = err instanceof Error ? err.message : String(err);
    console.error(`tenant setup failed; the tenant side will report no results:\n${tenantError}`);
  }

  const side = (label: string, kubeconfig: string): Promise<SideRun> =>
    runSide(label, {
      bin,
      kubeconfig,
      reportDir: path.join(runDir, label),
      focus: o.focus,
      skip: o.skip,
      parallel: o.parallel,
    });
  const host = await side('host', p.hostKubeconfig);
  const tenantRun: SideRun | undefined = tenantError ? undefined : await side('tenant', tenantKubeconfig);
  if (readState(p.hostDir)?.server !== server)
    console.warn(
      'warning: the local host changed during the run; the two sides did not run against the same cluster',
    );
  if (!tenantError && !o.keepTenant) deleteTenant(p, tenant);

  const hostResults = sideResults(host.outcome, selection);
  const summary = buildSummary(
    { kubernetes, selection, date: started.toISOString(), commit: gitCommit(root) },
    hostResults,
    sideResults(tenantRun?.outcome ?? { error: `tenant setup failed: ${tenantError}` }, selection),
  );
  const md = renderMarkdown(summary, {
    durations: { host: host.seconds, tenant: tenantRun?.seconds },
    host: hostResults,
    runDir: path.relative(root, runDir),
    parallel: o.parallel,
    notes,
  });
  mkdirSync(runDir, { recursive: true });
  const json = JSON.stringify(summary, null, 2) + '\n';
  for (const dir of [runDir, resultsDir]) {
    writeFileSync(path.join(dir, dir === runDir ? 'summary.json' : 'latest.json'), json);
    writeFileSync(path.join(dir, dir === runDir ? 'summary.md' : 'latest.md'), md);
  }

  const took = Math.round((Date.now() - started.getTime()) / 1000);
  console.log(
    `\nhost:   ${summary.host.passed} passed, ${summary.host.failed} failed, ${summary.host.skipped} skipped`,
  );
  console.log(
    `tenant: ${summary.tenant.passed} passed, ${summary.tenant.failed} failed, ${summary.tenant.skipped} skipped`,
  );
  console.log(
    `regressions: ${summary.regressions.length}${summary.regressions.map((r) => `\n  - ${r}`).join('')}`,
  );
  console.log(
    `summary: conformance/results/latest.{md,json} · run time ${Math.floor(took / 60)}m${String(took % 60).padStart(2, '0')}s`,
  );
  if (tenantError || !('cases' in host.outcome)) return 2;
  return summary.regressions.length ? 1 : 0;
}

let options: RunOptions;
try {
  options = parseRunOptions(process.argv.slice(2));
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
main(options).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`conformance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
