// `npm run conformance`: the conformance parity run (../../shared/design.md, "Conformance parity").
// The same e2e.test selection runs against the local host's admin kubeconfig, then through a
// fresh kplex tenant on that same host. The two runs go one after the other, never interleaved:
// specs create cluster-scoped objects (webhook configurations, APIServices, CRDs, namespaces
// being finalized) whose effects on the shared host would leak from one run into the other, and on
// a 2-core machine two suites at once would make timing-sensitive specs fail on either side.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readState } from '../deploy/local-host/host.js';
import { renderMarkdown } from './lib/markdown.js';
import { parseRunOptions, USAGE, type RunOptions } from './lib/options.js';
import { parseJUnit } from './lib/junit.js';
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

/** What a host side ran with, kept next to its JUnit so that --host-from can check it matches. */
interface HostRecord {
  focus: string;
  skip: string;
  parallel: number;
  kubernetes: string;
  seconds: number;
}

/** The host side of an earlier run, refused unless it ran the same selection the same way. */
function reuseHost(id: string, o: RunOptions, kubernetes: string): SideRun {
  const dir = path.join(resultsDir, `junit-${id}`, 'host');
  const recordFile = path.join(dir, 'host-run.json');
  const junit = path.join(dir, 'junit_01.xml');
  if (!existsSync(recordFile) || !existsSync(junit))
    throw new Error(`--host-from ${id}: no host results in ${path.relative(root, dir)}`);
  const r = JSON.parse(readFileSync(recordFile, 'utf8')) as HostRecord;
  const differs = (['focus', 'skip', 'parallel', 'kubernetes'] as const).filter(
    (k) => r[k] !== { focus: o.focus, skip: o.skip, parallel: o.parallel, kubernetes }[k],
  );
  if (differs.length) throw new Error(`--host-from ${id}: that run differs in ${differs.join(', ')}`);
  console.log(`[host] reusing run ${id} (${Math.round(r.seconds / 60)} min)`);
  return {
    outcome: { cases: parseJUnit(readFileSync(junit, 'utf8')) },
    seconds: r.seconds,
    exitCode: 0,
    log: path.join(dir, 'e2e.log'),
  };
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
  if (o.hostFrom) notes.push(`host side reused from run ${o.hostFrom} (same selection, same host build)`);
  const host0 = o.hostFrom ? reuseHost(o.hostFrom, o, kubernetes) : undefined;
  if (o.hostOnly) tenantError = 'not run (--host-only)';
  else {
    try {
      if (ensureKplex(p)) {
        notes.push(
          'kplex: reused an already running `kplex serve`; it may predate this commit (restart it after changing kplex)',
        );
        console.warn(`note: ${notes.at(-1)}`);
      }
      createTenant(p, tenant, tenantKubeconfig);
      console.log(`tenant ${tenant} ready (kubeconfig ${path.relative(root, tenantKubeconfig)})`);
    } catch (err) {
      tenantError = err instanceof Error ? err.message : String(err);
      console.error(`tenant setup failed; the tenant side will report no results:\n${tenantError}`);
    }
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
  const runTenant = (): Promise<SideRun | undefined> =>
    tenantError ? Promise.resolve(undefined) : side('tenant', tenantKubeconfig);
  // --concurrent: the tenant side starts with the host side instead of after it.
  const tenantAtOnce = o.concurrent ? runTenant() : undefined;
  if (o.concurrent)
    notes.push(
      'the host and tenant sides ran at the same time (--concurrent), sharing the machine and the host',
    );
  const host = host0 ?? (await side('host', p.hostKubeconfig));
  if (!host0) {
    const record: HostRecord = {
      focus: o.focus,
      skip: o.skip,
      parallel: o.parallel,
      kubernetes,
      seconds: host.seconds,
    };
    writeFileSync(path.join(runDir, 'host', 'host-run.json'), JSON.stringify(record, null, 2) + '\n');
  }
  if (o.hostOnly) {
    const c = sideResults(host.outcome, selection);
    const n = [...c.specs.values()].filter((x) => x.status === 'passed').length;
    console.log(`\nhost: ${n} of ${c.specs.size} passed; run the tenant side later with --host-from ${id}`);
    return 'cases' in host.outcome ? 0 : 2;
  }
  const tenantRun = await (tenantAtOnce ?? runTenant());
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
  // The whole [Conformance] set keeps its own summary beside the default selection's.
  const latest = o.full ? 'full-latest' : 'latest';
  for (const dir of [runDir, resultsDir]) {
    writeFileSync(path.join(dir, dir === runDir ? 'summary.json' : `${latest}.json`), json);
    writeFileSync(path.join(dir, dir === runDir ? 'summary.md' : `${latest}.md`), md);
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
    `summary: conformance/results/${latest}.{md,json} · run time ${Math.floor(took / 60)}m${String(took % 60).padStart(2, '0')}s`,
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
