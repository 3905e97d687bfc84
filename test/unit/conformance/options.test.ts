import { describe, expect, it } from 'vitest';
import { e2eCommand } from '../../../conformance/lib/e2e-command.js';
import {
  DEFAULT_FOCUS,
  DEFAULT_SKIP,
  FULL_FOCUS,
  parseRunOptions,
} from '../../../conformance/lib/options.js';

describe('parseRunOptions', () => {
  it('defaults to sig-api-machinery conformance with Sonobuoy skips, serially', () => {
    expect(parseRunOptions([])).toEqual({
      focus: DEFAULT_FOCUS,
      skip: DEFAULT_SKIP,
      parallel: 1,
      full: false,
      keepTenant: false,
      hostOnly: false,
      hostFrom: undefined,
      concurrent: false,
      help: false,
    });
    expect(DEFAULT_SKIP).toBe('\\[Disruptive\\]|NoExecuteTaintManager');
  });

  it('--full selects every conformance spec; an explicit --focus wins', () => {
    expect(parseRunOptions(['--full']).focus).toBe(FULL_FOCUS);
    expect(parseRunOptions(['--full', '--focus', 'Watchers']).focus).toBe('Watchers');
  });

  it('rejects bad values and unknown flags', () => {
    expect(() => parseRunOptions(['--parallel', '0'])).toThrow(/--parallel/);
    expect(() => parseRunOptions(['--parallel', 'two'])).toThrow(/--parallel/);
    expect(() => parseRunOptions(['--focus', ' '])).toThrow(/--focus/);
    expect(() => parseRunOptions(['--nodes', '3'])).toThrow();
    expect(() => parseRunOptions(['--host-from', '../x'])).toThrow(/run id/);
    expect(() => parseRunOptions(['--host-only', '--host-from', '20261123-183946'])).toThrow(/exclude/);
    expect(() => parseRunOptions(['--concurrent', '--host-only'])).toThrow(/excludes/);
  });

  it('--host-from names an earlier run by its id', () => {
    expect(parseRunOptions(['--host-from', '20261123-183946']).hostFrom).toBe('20261123-183946');
  });
});

describe('e2eCommand', () => {
  const target = { bin: '/b', kubeconfig: '/k', reportDir: '/r', focus: 'F', skip: 'S', parallel: 1 };

  it('runs e2e.test directly with the selection, JUnit report dir and protobuf', () => {
    const { file, args } = e2eCommand(target);
    expect(file).toBe('/b/e2e.test');
    expect(args).toEqual(
      expect.arrayContaining([
        '--ginkgo.focus=F',
        '--ginkgo.skip=S',
        '--kubeconfig=/k',
        '--provider=local',
        '--report-dir=/r',
        '--kube-api-content-type=application/vnd.kubernetes.protobuf',
        '--ginkgo.v',
        '--ginkgo.no-color',
      ]),
    );
  });

  it('goes through ginkgo -p for parallel runs, suite flags after --', () => {
    const { file, args } = e2eCommand({ ...target, parallel: 3 });
    expect(file).toBe('/b/ginkgo');
    const sep = args.indexOf('--');
    expect(args.slice(0, sep)).toEqual(
      expect.arrayContaining(['-p', '--procs=3', '--focus=F', '--skip=S', '/b/e2e.test']),
    );
    expect(args.slice(sep + 1)).toEqual(expect.arrayContaining(['--kubeconfig=/k', '--report-dir=/r']));
  });
});
