// Command-line options of `npm run conformance`: which specs run and how.
import { parseArgs } from 'node:util';

/** Sonobuoy's certified-conformance skip list: destructive specs and the taint-manager specs. */
export const DEFAULT_SKIP = String.raw`\[Disruptive\]|NoExecuteTaintManager`;
/** The default selection: API machinery, the part of conformance that is kplex's own work. */
export const DEFAULT_FOCUS = String.raw`\[sig-api-machinery\].*\[Conformance\]`;
/** `--full`: every conformance spec, as `sonobuoy run --mode certified-conformance` selects. */
export const FULL_FOCUS = String.raw`\[Conformance\]`;

export interface RunOptions {
  focus: string;
  skip: string;
  /** Ginkgo processes; 1 runs e2e.test directly (as Sonobuoy does by default). */
  parallel: number;
  full: boolean;
  /** Keep the fresh tenant after the run (for inspecting failures). */
  keepTenant: boolean;
  /** Run the two sides at the same time (faster, but they share the machine and the host). */
  concurrent: boolean;
  /** Run only the host side (its JUnit stays in its run directory for a later --host-from). */
  hostOnly: boolean;
  /** Reuse the host side of an earlier run (its id, e.g. 20261123-183946) instead of running it. */
  hostFrom?: string;
  help: boolean;
}

export const USAGE = `Usage: npm run conformance -- [--focus REGEX] [--skip REGEX] [--parallel N] [--full] [--keep-tenant]
                           [--host-only | --host-from RUN | --concurrent]

Runs the same selection of Kubernetes conformance specs (e2e.test) against the local host cluster's
admin kubeconfig, then against a fresh kplex tenant on that host, and writes the parity summary to
conformance/results/latest.{md,json} (JUnit and logs: conformance/results/junit-<run>/).

  --focus REGEX    specs to run (default: ${DEFAULT_FOCUS})
  --skip REGEX     specs to leave out (default: ${DEFAULT_SKIP})
  --parallel N     run with ginkgo across N processes (default 1; [Serial] specs still run alone)
  --full           focus on every [Conformance] spec (${FULL_FOCUS}) unless --focus is given;
                   the summary goes to conformance/results/full-latest.{md,json}
  --keep-tenant    do not delete the tenant after the run
  --concurrent     run the host and tenant sides at the same time, not one after the other: about
                   half the wall time for a long selection, at the price of both sides sharing
                   2 cores and one host (timing-sensitive specs may fail on either side); noted in
                   the summary
  --host-only      run only the host side and keep its results in results/junit-<run>/ (no summary);
                   a long selection (--full) can then run its two halves at different times
  --host-from RUN  take the host side from the earlier run RUN (e.g. 20261123-183946) instead of
                   running it again; RUN must have used the same focus, skip and --parallel
  -h, --help       this help`;

export function parseRunOptions(argv: string[]): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      focus: { type: 'string' },
      skip: { type: 'string' },
      parallel: { type: 'string' },
      full: { type: 'boolean', default: false },
      'keep-tenant': { type: 'boolean', default: false },
      'host-only': { type: 'boolean', default: false },
      concurrent: { type: 'boolean', default: false },
      'host-from': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const parallel = values.parallel === undefined ? 1 : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 32)
    throw new Error(`--parallel must be an integer from 1 to 32, got "${values.parallel}"`);
  for (const [flag, re] of [
    ['--focus', values.focus],
    ['--skip', values.skip],
  ] as const) {
    if (re !== undefined && re.trim() === '') throw new Error(`${flag} must not be empty`);
  }
  const hostFrom = values['host-from'];
  if (hostFrom !== undefined && !/^\d{8}-\d{6}$/.test(hostFrom))
    throw new Error(`--host-from takes a run id like 20261123-183946, got "${hostFrom}"`);
  if (hostFrom !== undefined && values['host-only'])
    throw new Error('--host-only and --host-from exclude each other');
  if (values.concurrent && (hostFrom !== undefined || values['host-only']))
    throw new Error('--concurrent runs both sides; it excludes --host-only and --host-from');
  const full = values.full ?? false;
  return {
    focus: values.focus ?? (full ? FULL_FOCUS : DEFAULT_FOCUS),
    skip: values.skip ?? DEFAULT_SKIP,
    parallel,
    full,
    keepTenant: values['keep-tenant'] ?? false,
    hostOnly: values['host-only'] ?? false,
    concurrent: values.concurrent ?? false,
    hostFrom,
    help: values.help ?? false,
  };
}
