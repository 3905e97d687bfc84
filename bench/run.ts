// `npm run bench`: starts a fresh local host and kplex, runs the measures side by side with the
// host, and writes bench/results/latest.{json,md} plus a dated copy. See --help.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Context } from './lib/context.js';
import { fdCount, rssBytes } from './lib/proc.js';
import { machine, writeResults, type Entry } from './lib/report.js';
import { root, startStack } from './lib/stack.js';
import { createCost } from './measures/create-cost.js';
import { density } from './measures/density.js';
import { fanout } from './measures/fanout.js';
import { hostBacked } from './measures/host-backed.js';
import { hostWatches } from './measures/host-watches.js';
import { listAll } from './measures/list-all.js';
import { load } from './measures/load.js';
import { pods } from './measures/pods.js';
import { virtualStore } from './measures/virtual-store.js';

const MEASURES: Record<string, { title: string; run: (ctx: Context) => Promise<Entry[]> }> = {
  'host-backed': { title: '1. host-backed overhead (configmaps) kplex vs host', run: hostBacked },
  'virtual-store': {
    title: '2. virtual store: custom resources kplex vs host CRD (etcd)',
    run: virtualStore,
  },
  density: { title: '3. density: RSS and fds with idle tenants, tenant creation', run: density },
  fanout: { title: '4. watch fan-out on virtual resources', run: fanout },
  'create-cost': {
    title: '5. create cost vs size: p50 of a create at 100 and at 10,000 objects of the kind',
    run: createCost,
  },
  pods: { title: '6. pod create with the pod syncer (webhook) kplex vs host', run: pods },
  'host-watches': { title: '7. shared host watches: -A pod watches of many tenants', run: hostWatches },
  load: { title: '8. load: mixed reads and writes of many active tenants kplex vs host', run: load },
  'list-all': { title: '9. LIST pods -A of a tenant with 50 namespaces vs the host', run: listAll },
};

const usage = `Usage: npm run bench -- [--quick] [--only <measure>[,<measure>...]] [--keep] [--cpu-prof <dir>]

Starts its own local host cluster and kplex (temp dir, free ports), measures kplex against the
host in one run, and writes bench/results/latest.json, latest.md and <date>.json.

  --quick            fewer samples and tenants (~3-4 minutes instead of < 30)
  --only <list>      run only these measures: ${Object.keys(MEASURES).join(', ')}
  --keep             leave the temp dir (logs, data) in place
  --cpu-prof <dir>   run kplex with node --cpu-prof, profiles written to <dir> at the end
  --out <dir>        results directory (default bench/results)
  -h, --help         this text`;

function parseArgs(argv: string[]) {
  const o = {
    quick: false,
    only: Object.keys(MEASURES),
    keep: false,
    cpuProf: '',
    out: path.join(root, 'bench', 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') {
      console.log(usage);
      process.exit(0);
    } else if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--only') {
      o.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = o.only.filter((m) => !MEASURES[m]);
      if (bad.length)
        throw new Error(`unknown measure(s) ${bad.join(', ')}; known: ${Object.keys(MEASURES).join(', ')}`);
    } else if (a === '--cpu-prof') o.cpuProf = path.resolve(value());
    else if (a === '--out') o.out = path.resolve(value());
    else throw new Error(`unknown option ${a}\n\n${usage}`);
  }
  return o;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
  const log = (line: string) => console.log(`[bench ${elapsed()}] ${line}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'kplex-bench-'));
  log(`${opts.quick ? 'quick' : 'full'} run of ${opts.only.join(', ')}; work dir ${work}`);
  const stack = await startStack({
    work,
    log,
    nodeArgs: opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf] : [],
  });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
    cwd: root,
    encoding: 'utf8',
  }).trim()
    ? '+uncommitted src changes'
    : '';
  const ctx: Context = {
    stack,
    quick: opts.quick,
    log,
    notes: [],
    baseline: { rss: rssBytes(stack.kplexPid), fds: fdCount(stack.kplexPid) },
    served: new Set(),
  };
  const entries: Entry[] = [];
  try {
    for (const name of Object.keys(MEASURES).filter((m) => opts.only.includes(m))) {
      const m = MEASURES[name]!;
      log(`${m.title}`);
      const m0 = performance.now();
      try {
        entries.push(...(await m.run(ctx)));
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        log(`  FAILED: ${msg}`);
        entries.push({
          name: `${name}: failed: ${msg.slice(0, 200)}`,
          unit: '',
          kplex: null,
          host: null,
          ratio: null,
          goal: 'measured',
          met: false,
        });
      }
      log(`  done in ${((performance.now() - m0) / 1000).toFixed(0)} s`);
    }
  } finally {
    log('stopping kplex and the host');
    await stack.close();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
  const m = machine(stack.host.version, `${commit}${dirty}`);
  const files = writeResults(
    opts.out,
    entries,
    m,
    started,
    (performance.now() - t0) / 1000,
    opts.quick ? 'quick' : 'full',
    ctx.notes,
  );
  const met = entries.filter((e) => e.met !== null);
  log(
    `${met.filter((e) => e.met).length}/${met.length} goals met; wrote ${files.map((f) => path.relative(root, f)).join(', ')}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
