// Class names in pod specs and templates, both ways: tenant-owned host names, the tenant's names back.
import { describe, expect, it } from 'vitest';
import {
  classNamesToHost,
  classNamesToVirtual,
  hostClassName,
  tenantTag,
} from '../../../src/syncer/class-names.js';

type Any = Record<string, any>;
const A = 'uid-a';
const B = 'uid-b';

const deployment = (pc: string, rc: string): Any => ({
  kind: 'Deployment',
  metadata: { name: 'd', annotations: {} },
  spec: { template: { metadata: {}, spec: { priorityClassName: pc, runtimeClassName: rc, containers: [] } } },
});

describe('class names', () => {
  it('host names are per tenant and never another tenant’s', () => {
    expect(hostClassName(A, 'high')).toBe(`kplex-${tenantTag(A)}-high`);
    expect(hostClassName(A, 'high')).not.toBe(hostClassName(B, 'high'));
    // A tenant writing another tenant's host name gets a name under its own tag.
    const o = deployment(hostClassName(B, 'high'), 'x');
    classNamesToHost(o, A);
    expect(o.spec.template.spec.priorityClassName).toBe(`kplex-${tenantTag(A)}-${hostClassName(B, 'high')}`);
    classNamesToVirtual(o, A);
    expect(o.spec.template.spec.priorityClassName).toBe(hostClassName(B, 'high'));
  });

  it('pods, templates and CronJobs both ways; system PriorityClasses keep their names', () => {
    const pod: Any = {
      spec: { priorityClassName: 'system-node-critical', runtimeClassName: 'gvisor', containers: [] },
    };
    classNamesToHost(pod, A);
    expect(pod.spec).toMatchObject({
      priorityClassName: 'system-node-critical',
      runtimeClassName: hostClassName(A, 'gvisor'),
    });
    const cron: Any = {
      spec: { jobTemplate: { spec: { template: { spec: { priorityClassName: 'low', containers: [] } } } } },
    };
    classNamesToHost(cron, A);
    expect(cron.spec.jobTemplate.spec.template.spec.priorityClassName).toBe(hostClassName(A, 'low'));
    for (const o of [pod, cron]) classNamesToVirtual(o, A);
    expect(pod.spec.runtimeClassName).toBe('gvisor');
    expect(cron.spec.jobTemplate.spec.template.spec.priorityClassName).toBe('low');
    // Another tenant's view leaves a name that is not its own as it is.
    const d = deployment('high', 'fast');
    classNamesToHost(d, A);
    classNamesToVirtual(d, B);
    expect(d.spec.template.spec.priorityClassName).toBe(hostClassName(A, 'high'));
  });

  it('a name too long for the prefix is hashed, recorded, and read back', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(long.length).toBe(253);
    const host = hostClassName(A, long);
    expect(host).toMatch(new RegExp(`^kplex-${tenantTag(A)}\\.[0-9a-f]{40}$`));
    const d = deployment(long, 'fast');
    classNamesToHost(d, A);
    expect(d.spec.template.spec.priorityClassName).toBe(host);
    expect(d.spec.template.metadata.annotations['kplex.io/priority-class-name']).toBe(long);
    classNamesToVirtual(d, A);
    expect(d.spec.template.spec.priorityClassName).toBe(long);
    // A forged record naming another class is ignored.
    const f = deployment(long, 'fast');
    classNamesToHost(f, A);
    f.spec.template.metadata.annotations['kplex.io/priority-class-name'] = 'other';
    classNamesToVirtual(f, A);
    expect(f.spec.template.spec.priorityClassName).toBe(host);
  });

  it('the last-applied annotation a server-side apply leaves reads in the tenant’s names', () => {
    const d = deployment('high', 'fast');
    classNamesToHost(d, A);
    d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify({
      spec: { template: { spec: d.spec.template.spec } },
    });
    classNamesToVirtual(d, A);
    expect(
      JSON.parse(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec.template
        .spec,
    ).toMatchObject({
      priorityClassName: 'high',
      runtimeClassName: 'fast',
    });
  });

  it('leaves kinds without a pod spec alone', () => {
    const svc: Any = { kind: 'Service', spec: { priorityClassName: 'x' } };
    classNamesToHost(svc, A);
    // A spec naming a class counts as a pod spec (apply configurations may omit containers).
    expect(svc.spec.priorityClassName).toBe(hostClassName(A, 'x'));
    const cm: Any = { kind: 'ConfigMap', data: { priorityClassName: 'x' } };
    classNamesToHost(cm, A);
    expect(cm.data.priorityClassName).toBe('x');
  });
});
