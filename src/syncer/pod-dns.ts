// What the pod webhook writes into a tenant pod so that its resolver asks kplex's DNS with the
// search list a pod of the tenant's own cluster would have: the kubelet's ClusterFirst list is
// built from the HOST namespace (`demo-team-a.svc.cluster.local`), which would both miss the
// tenant's names and show the host's.

export interface PodDNSSettings {
  dnsPolicy: 'None';
  dnsConfig: {
    nameservers: string[];
    searches: string[];
    options: { name: string; value?: string }[];
  };
}

/**
 * The `dnsPolicy`/`dnsConfig` of a tenant pod in virtual namespace `namespace`, resolving through
 * `nameserver` (the address pods reach kplex's DNS on, a Service ClusterIP on a real cluster).
 * A pod that set its own `dnsConfig` keeps its extra searches and options after these (the
 * kubelet merges them the same way for ClusterFirst); one with `dnsPolicy: Default` or host
 * networking is left alone by the caller.
 */
export function tenantPodDNSConfig(
  namespace: string,
  nameserver: string,
  own?: { searches?: string[]; options?: { name: string; value?: string }[] },
  zone = 'cluster.local',
): PodDNSSettings {
  const searches = [`${namespace}.svc.${zone}`, `svc.${zone}`, zone];
  for (const s of own?.searches ?? []) if (!searches.includes(s)) searches.push(s);
  const options: { name: string; value?: string }[] = [{ name: 'ndots', value: '5' }];
  for (const o of own?.options ?? []) {
    const i = options.findIndex((x) => x.name === o.name);
    if (i >= 0) options[i] = o;
    else options.push(o);
  }
  return { dnsPolicy: 'None', dnsConfig: { nameservers: [nameserver], searches, options } };
}
