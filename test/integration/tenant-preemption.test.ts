// Preemption with tenant PriorityClasses, by the host's real scheduler: a tenant's higher class
// preempts its own lower pods on a full node, and a tenant whose classes are capped at 0 (the
// default policy) never preempts another tenant's pods, whatever value its class has.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

type Any = Record<string, any>;

const A = 'preempt-a';
const B = 'preempt-b';
const C = 'preempt-c';
const json = (o: unknown): string => JSON.stringify(o);
const HOSTNAME = 'kubernetes.io/hostname';

const priorityClass = (name: string, value: number) => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
});
/** A pod that takes `cpu` millicores on `node`. */
const pod = (name: string, node: string, cpu: number, priorityClassName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    ...(priorityClassName ? { priorityClassName } : {}),
    nodeSelector: { [HOSTNAME]: node },
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: `${cpu}m` } } }],
  },
});

describe('preemption with tenant PriorityClasses', () => {
  const host = inject('host');
  let env: TenantEnv;
  const kc: Record<string, string> = {};
  const getJSON = (cfg: string, args: string[]): Any =>
    JSON.parse(kubectlOk(cfg, ['get', ...args, '-o', 'json']));
  let nodes: string[] = [];

  /** Millicores of `node` no pod has asked for yet. */
  /** The node's allocatable CPU less what the scheduler counts: bound pods (overhead and init containers too) and pods nominated to it. */
  const freeCpu = (node: string): number => {
    const milli = (q: unknown): number => {
      const v = String(q ?? '0');
      return v.endsWith('m') ? Number(v.slice(0, -1)) : Number(v) * 1000;
    };
    const n = getJSON(host.kubeconfig, ['node', node]);
    const total = milli(n.status.allocatable.cpu);
    const pods = (getJSON(host.kubeconfig, ['pods', '-A']).items as Any[]).filter(
      (p) =>
        (p.spec.nodeName === node || p.status?.nominatedNodeName === node) &&
        !['Succeeded', 'Failed'].includes(p.status?.phase),
    );
    const request = (c: Any): number => milli(c.resources?.requests?.cpu);
    const used = pods
      .map((p) => {
        const containers = (p.spec.containers as Any[]).reduce((sum, c) => sum + request(c), 0);
        const init = Math.max(0, ...((p.spec.initContainers ?? []) as Any[]).map(request));
        return Math.max(containers, init) + milli(p.spec.overhead?.cpu);
      })
      .reduce((a, b) => a + b, 0);
    return total - used;
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    for (const t of [A, B, C]) {
      kc[t] = await env.tenant(t);
      kubectlOk(kc[t]!, ['create', 'namespace', 'work']);
    }
    kubectlOk(host.kubeconfig, [
      'patch',
      'tenant',
      A,
      '--type',
      'merge',
      '-p',
      json({ spec: { policy: { maxPriority: 1000 } } }),
    ]);
    nodes = (getJSON(host.kubeconfig, ['nodes']).items as Any[])
      .filter((n) => !(n.spec.taints ?? []).length)
      .map((n) => n.metadata.name as string);
    expect(nodes.length).toBeGreaterThanOrEqual(2);
  });
  afterAll(async () => {
    if (env)
      kubectl(host.kubeconfig, ['patch', 'tenant', A, '--type', 'merge', '-p', '{"spec":{"policy":null}}']);
    await env?.close();
  });

  it('a tenant’s higher class preempts its own lower pod on a full node', async () => {
    const node = nodes[0]!;
    kubectlOk(kc[A]!, ['create', '-f', '-'], json(priorityClass('low', 10)));
    kubectlOk(kc[A]!, ['create', '-f', '-'], json(priorityClass('high', 100)));
    const cpu = freeCpu(node);
    // The Tenant watch brings maxPriority 1000: until then the classes are capped at 0.
    await expect
      .poll(
        () =>
          kubectl(kc[A]!, ['create', '-n', 'work', '-f', '-'], json(pod('victim', node, cpu, 'low'))).code,
        {
          timeout: 15_000,
        },
      )
      .toBe(0);
    await expect
      .poll(() => getJSON(kc[A]!, ['pod', 'victim', '-n', 'work']).spec.nodeName, { timeout: 30_000 })
      .toBe(node);
    expect(getJSON(kc[A]!, ['pod', 'victim', '-n', 'work']).spec.priority).toBe(10);
    kubectlOk(kc[A]!, ['create', '-n', 'work', '-f', '-'], json(pod('preemptor', node, cpu, 'high')));
    await expect
      .poll(() => getJSON(kc[A]!, ['pod', 'preemptor', '-n', 'work']).spec.nodeName, { timeout: 60_000 })
      .toBe(node);
    expect(kubectl(kc[A]!, ['get', 'pod', 'victim', '-n', 'work']).code).not.toBe(0);
    const p = getJSON(kc[A]!, ['pod', 'preemptor', '-n', 'work']);
    expect([p.spec.priorityClassName, p.spec.priority]).toEqual(['high', 100]);
  });

  it('a tenant capped at 0 never preempts another tenant’s pod, whatever its class says', async () => {
    const node = nodes[1]!;
    const cpu = freeCpu(node);
    // The resident leaves 100m (pods of earlier files may still be leaving the shared host's
    // node); the intruder asks for all that was free: no room unless it preempts.
    kubectlOk(kc[B]!, ['create', '-n', 'work', '-f', '-'], json(pod('resident', node, cpu - 100)));
    await expect
      .poll(() => getJSON(kc[B]!, ['pod', 'resident', '-n', 'work']).spec.nodeName, { timeout: 60_000 })
      .toBe(node);
    kubectlOk(kc[C]!, ['create', '-f', '-'], json(priorityClass('top', 1000000000)));
    kubectlOk(kc[C]!, ['create', '-n', 'work', '-f', '-'], json(pod('intruder', node, cpu, 'top')));
    // The scheduler judges it and finds no room and no lower pod to preempt.
    await expect
      .poll(
        () =>
          (getJSON(kc[C]!, ['pod', 'intruder', '-n', 'work']).status.conditions ?? []).find(
            (c: Any) => c.type === 'PodScheduled',
          )?.reason,
        { timeout: 60_000 },
      )
      .toBe('Unschedulable');
    const intruder = getJSON(kc[C]!, ['pod', 'intruder', '-n', 'work']);
    expect([intruder.spec.priority, intruder.status.nominatedNodeName]).toEqual([0, undefined]);
    const resident = getJSON(kc[B]!, ['pod', 'resident', '-n', 'work']);
    expect([resident.spec.nodeName, resident.metadata.deletionTimestamp]).toEqual([node, undefined]);
  });
});
