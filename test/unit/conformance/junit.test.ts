import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeXml, messageFromDescription, parseJUnit } from '../../../conformance/lib/junit.js';

const fixture = (f: string): string =>
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', f), 'utf8');

describe('parseJUnit (e2e.test junit_01.xml)', () => {
  const cases = parseJUnit(fixture('host.xml'));
  const byName = (prefix: string) => cases.find((c) => c.name.startsWith(prefix));

  it('reads every testcase and tells suite nodes from specs', () => {
    expect(cases).toHaveLength(10);
    expect(cases.filter((c) => c.kind === 'suite').map((c) => c.name)).toEqual([
      '[ReportBeforeSuite]',
      '[SynchronizedBeforeSuite]',
      '[SynchronizedAfterSuite]',
      '[ReportAfterSuite] Kubernetes e2e suite report',
    ]);
  });

  it('drops the [It] prefix so names match the spec text the focus regex sees', () => {
    const c = byName('[sig-api-machinery] ResourceQuota')!;
    expect(c.name).toBe(
      '[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a pod. [Conformance]',
    );
    expect(c).toMatchObject({
      classname: 'Kubernetes e2e suite',
      status: 'passed',
      state: 'passed',
      message: '',
    });
    expect(c.time).toBeCloseTo(13.07, 2);
  });

  it('takes the failure message from the description when the message attribute is empty', () => {
    const c = byName('[sig-api-machinery] AdmissionWebhook')!;
    expect(c.status).toBe('failed');
    expect(c.message).toMatch(/^waiting for the deployment status valid/);
    expect(c.message).toContain('error waiting for deployment "sample-webhook-deployment" status');
    expect(c.message).not.toContain('In [BeforeEach] at:');
    expect(c.message).not.toMatch(/^\[FAILED\]/);
    expect(c.location).toBe('k8s.io/kubernetes@v1.32.5/test/e2e/apimachinery/webhook.go:838');
  });

  it('keeps the reason of a run-time skip and marks plain filter skips', () => {
    const chunking = byName('[sig-api-machinery] Servers with support for API chunking')!;
    expect(chunking).toMatchObject({
      status: 'skipped',
      message: 'Only supported for providers [gce gke] (not local)',
      skippedWithReason: true,
    });
    const filtered = byName('[sig-node] Pods')!;
    expect(filtered).toMatchObject({ status: 'skipped', message: '', skippedWithReason: false });
  });

  it('maps timedout (and other Ginkgo failure states) to failed', () => {
    const c = parseJUnit(fixture('tenant.xml')).find((x) => x.name.includes('ResourceQuota'))!;
    expect(c).toMatchObject({ status: 'failed', state: 'timedout', message: 'A suite timeout occurred' });
  });

  it('judges by child elements when a producer writes no status attribute', () => {
    const xml = `<testsuite><testcase name="a" classname="s"/><testcase name="b" classname="s"><failure message="boom">x</failure></testcase><testcase name="c"><skipped/></testcase></testsuite>`;
    expect(parseJUnit(xml).map((c) => [c.name, c.status, c.message])).toEqual([
      ['a', 'passed', ''],
      ['b', 'failed', 'boom'],
      ['c', 'skipped', ''],
    ]);
  });
});

describe('XML text helpers', () => {
  it('decodes the entities Go writes', () => {
    expect(decodeXml('&#34;a&#34; &lt;b&gt; &amp;&#xA;&apos;c&quot;')).toBe(`"a" <b> &\n'c"`);
  });

  it('cuts a failure description at its location line', () => {
    expect(
      messageFromDescription(
        '[PANICKED] runtime error: index out of range\nIn [It] at: x.go:1 @ now\n\nFull Stack Trace',
      ),
    ).toBe('runtime error: index out of range');
    expect(messageFromDescription('multi\nline message\nIn [AfterEach] at: y.go:2')).toBe(
      'multi\nline message',
    );
  });
});

describe('parseJUnit with ginkgo -p setup failures', () => {
  it('strips terminal colours Ginkgo leaves in messages', () => {
    const c = parseJUnit(fixture('setup-failed.xml'))[0]!;
    expect(c.message).toBe(
      'SynchronizedBeforeSuite failed on Ginkgo parallel process #1\n  The first SynchronizedBeforeSuite function running on Ginkgo parallel process\n  #1 failed.  This suite will now abort.',
    );
  });
});
