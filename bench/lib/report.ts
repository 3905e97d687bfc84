// Results: one entry per measure with exactly name, unit, kplex, host, ratio, goal, met; written
// as bench/results/latest.json, latest.md and a dated copy. `met` is computed from the figures.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round, type Summary } from './stats.js';

/** A latency pair (ms) or a single figure. */
export type Figure = { p50: number; p99: number } | number | null;

export interface Entry {
  name: string;
  unit: string;
  kplex: Figure;
  host: Figure;
  ratio: Figure;
  /** The goal in words; null where the issue sets none (then met is null too). */
  goal: string | null;
  met: boolean | null;
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  os: string;
  node: string;
  kubernetes: string;
  kplexCommit: string;
}

export function machine(kubernetes: string, commit: string): Machine {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    kubernetes,
    kplexCommit: commit,
  };
}

const pair = (s: Summary | undefined): Figure =>
  s && s.n > 0 ? { p50: round(s.p50), p99: round(s.p99) } : null;

/** A kplex-vs-host latency entry; `maxRatio` is the goal on the p50 ratio when the issue sets one. */
export function latencyEntry(
  name: string,
  kplex: Summary,
  host: Summary | undefined,
  maxRatio?: number,
  goalText?: string,
): Entry {
  const ratio = host ? { p50: round(kplex.p50 / host.p50), p99: round(kplex.p99 / host.p99) } : null;
  const goal = maxRatio === undefined ? null : (goalText ?? `p50 ratio ≤ ${maxRatio}`);
  const met = maxRatio === undefined || !ratio ? null : Number.isFinite(ratio.p50) && ratio.p50 <= maxRatio;
  return { name, unit: 'ms', kplex: pair(kplex), host: pair(host), ratio, goal, met };
}

export function valueEntry(
  name: string,
  unit: string,
  kplex: Figure,
  goal: string | null = null,
  met: boolean | null = null,
): Entry {
  const v = typeof kplex === 'number' ? round(kplex) : kplex;
  return { name, unit, kplex: v, host: null, ratio: null, goal, met };
}

export function unavailable(name: string, why: string): Entry {
  return {
    name: `${name}: not available: ${why}`,
    unit: '',
    kplex: null,
    host: null,
    ratio: null,
    goal: 'measured',
    met: false,
  };
}

const cell = (f: Figure): string =>
  f === null ? '—' : typeof f === 'number' ? String(f) : `${f.p50} / ${f.p99}`;

export function markdown(
  entries: Entry[],
  m: Machine,
  started: Date,
  seconds: number,
  mode: string,
  notes: string[],
): string {
  const lines = [
    `# kplex benchmark (${mode})`,
    '',
    `${started.toISOString()}, ${Math.round(seconds)} s. Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; host Kubernetes ${m.kubernetes}; kplex ${m.kplexCommit}.`,
    'Latencies in ms as p50 / p99; ratio = kplex / host (below 1: kplex faster). kplex and host samples are interleaved.',
    '',
    '| measure | unit | kplex | host | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...entries.map(
      (e) =>
        `| ${e.name} | ${e.unit} | ${cell(e.kplex)} | ${cell(e.host)} | ${cell(e.ratio)} | ${e.goal ?? '—'} | ${e.met === null ? '—' : e.met ? 'yes' : '**no**'} |`,
    ),
  ];
  if (notes.length) lines.push('', '## Notes', '', ...notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}

export function writeResults(
  dir: string,
  entries: Entry[],
  m: Machine,
  started: Date,
  seconds: number,
  mode: string,
  notes: string[],
): string[] {
  mkdirSync(dir, { recursive: true });
  const doc = {
    started: started.toISOString(),
    seconds: Math.round(seconds),
    mode,
    machine: m,
    entries,
    notes,
  };
  const json = JSON.stringify(doc, null, 2) + '\n';
  const files = [
    path.join(dir, 'latest.json'),
    path.join(dir, 'latest.md'),
    path.join(dir, `${started.toISOString().slice(0, 10)}.json`),
  ];
  writeFileSync(files[0]!, json);
  writeFileSync(files[1]!, markdown(entries, m, started, seconds, mode, notes));
  writeFileSync(files[2]!, json);
  return files;
}
