import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProgress, ProgressParser, type ProgressEvent } from '../../../conformance/lib/progress.js';

const fixture = (f: string): string =>
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', f), 'utf8');

function feed(text: string, chunk: number): { events: ProgressEvent[]; parser: ProgressParser } {
  const events: ProgressEvent[] = [];
  const parser = new ProgressParser((e) => events.push(e));
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  parser.end();
  return { events, parser };
}

describe('ProgressParser', () => {
  it('follows a serial e2e.test -ginkgo.v run: total, then a result per spec with its title', () => {
    const { events, parser } = feed(fixture('serial.log'), 7);
    expect(events[0]).toEqual({ type: 'total', total: 2 });
    const specs = events.filter((e) => e.type === 'spec');
    expect(specs).toEqual([
      {
        type: 'spec',
        status: 'passed',
        state: 'PASSED',
        seconds: 13.07,
        title: expect.stringMatching(/^\[sig-api-machinery\] ResourceQuota should create/),
      },
      {
        type: 'spec',
        status: 'failed',
        state: 'FAILED',
        seconds: 0.513,
        title: expect.stringMatching(/^\[sig-api-machinery\] Secrets should fail/),
      },
    ]);
    expect(parser.counts).toEqual({ total: 2, done: 2, passed: 1, failed: 1, skipped: 0 });
  });

  it('follows a ginkgo -p run, where the title comes after the result line', () => {
    const { events, parser } = feed(fixture('parallel.log'), 4096);
    const specs = events.filter((e) => e.type === 'spec');
    expect(
      specs.map((e) => e.type === 'spec' && [e.status, e.title.split(' ').slice(0, 3).join(' ')]),
    ).toEqual([
      ['passed', '[sig-api-machinery] Watchers should'],
      ['failed', '[sig-api-machinery] CustomResourceConversionWebhook [Privileged:ClusterAdmin]'],
      ['skipped', '[sig-api-machinery] Servers with'],
    ]);
    expect(parser.counts).toEqual({ total: 94, done: 3, passed: 1, failed: 1, skipped: 1 });
  });

  it('reports a failed suite setup node', () => {
    const { events } = feed(
      'Will run 5 of 10 specs\n------------------------------\n[SynchronizedBeforeSuite] [FAILED] [1800.001 seconds]\n[SynchronizedBeforeSuite] \n',
      100,
    );
    expect(events[1]).toEqual({
      type: 'suite-failed',
      line: '[SynchronizedBeforeSuite] [FAILED] [1800.001 seconds]',
    });
  });

  it('formats a progress line', () => {
    expect(formatProgress('tenant', { total: 94, done: 12, passed: 10, failed: 2, skipped: 0 }, 185)).toBe(
      '[tenant] 12/94 · 10 passed · 2 failed · 0 skipped · 3m05s',
    );
  });
});
