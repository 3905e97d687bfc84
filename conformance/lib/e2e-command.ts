// The e2e.test invocation, the way Sonobuoy's conformance plugin runs it: focus/skip regexes, a
// report directory (junit_01.xml, the file Sonobuoy collects), the default protobuf content type,
// no log dump. Parallel runs go through the ginkgo CLI, which runs [Serial] specs alone at the end.
import path from 'node:path';
import { DNS_TEST_TAINT } from '../../deploy/local-host/host.js';

export interface E2ETarget {
  /** Directory holding e2e.test and ginkgo (build.sh --e2e). */
  bin: string;
  kubeconfig: string;
  /** Receives junit_01.xml. */
  reportDir: string;
  focus: string;
  skip: string;
  parallel: number;
}

/** Sonobuoy's e2e plugin gives the suite a day; our own runs are far shorter. */
const SUITE_TIMEOUT = '24h';

export function e2eCommand(t: E2ETarget): { file: string; args: string[] } {
  const e2e = path.join(t.bin, 'e2e.test');
  const suiteArgs = [
    `--kubeconfig=${t.kubeconfig}`,
    '--provider=local',
    `--report-dir=${t.reportDir}`,
    // e2e.test's default, spelled out: Sonobuoy does not change it, so neither do we.
    '--kube-api-content-type=application/vnd.kubernetes.protobuf',
    '--disable-log-dump',
    // The suite waits (30 min) for every node to be schedulable unless its taints are named here;
    // the local stack's DNS test node is tainted so no other pod lands on it.
    `--non-blocking-taints=node-role.kubernetes.io/control-plane,${DNS_TEST_TAINT}`,
  ];
  if (t.parallel <= 1) {
    return {
      file: e2e,
      args: [
        `--ginkgo.focus=${t.focus}`,
        `--ginkgo.skip=${t.skip}`,
        `--ginkgo.timeout=${SUITE_TIMEOUT}`,
        '--ginkgo.v',
        '--ginkgo.no-color',
        ...suiteArgs,
      ],
    };
  }
  return {
    file: path.join(t.bin, 'ginkgo'),
    args: [
      '-p',
      `--procs=${t.parallel}`,
      `--focus=${t.focus}`,
      `--skip=${t.skip}`,
      `--timeout=${SUITE_TIMEOUT}`,
      '-v',
      '--no-color',
      e2e,
      '--',
      ...suiteArgs,
    ],
  };
}
