// Answers one question for one tenant pod, as the cluster DNS (CoreDNS's kubernetes plugin) would
// inside a cluster of the tenant's own: `<svc>.<ns>.svc.<zone>` and `<host>.<svc>.<ns>.svc.<zone>`
// where `ns` is one of THE ASKING TENANT's virtual namespaces. Nothing else exists in the zone, so
// another tenant's names and host namespace names are NXDOMAIN, indistinguishable from names no
// one has. Names outside the zone are REFUSED: this server is authoritative for the cluster zone
// only and does not recurse (there is no upstream on the local host; see docs/architecture.md).
import type { Answer } from 'dns-packet';
import type { DnsClient, DnsIndex } from './dns-index.js';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface DnsAnswer {
  rcode: Rcode;
  /** Authoritative: every answer inside the zone. */
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
}

export interface ResolverOptions {
  /** The cluster domain, `cluster.local` by default. */
  zone?: string;
  /** When set, `kubernetes.default.svc` of every tenant is this address (kplex's Service). */
  kubernetesAddress?: () => string | undefined;
  ttl?: number;
}

/** A name a Kubernetes object can have: lower-case DNS-1123 labels, nothing else resolves. */
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class DnsResolver {
  private readonly zone: string;
  private readonly ttl: number;

  constructor(
    private readonly index: DnsIndex,
    private readonly opts: ResolverOptions = {},
  ) {
    this.zone = (opts.zone ?? 'cluster.local').toLowerCase();
    this.ttl = opts.ttl ?? 5;
  }

  resolve(client: DnsClient, qname: string, qtype: string): DnsAnswer {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name !== this.zone && !name.endsWith(`.${this.zone}`))
      return { rcode: 'REFUSED', aa: false, answers: [], authorities: [] };
    const labels = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split('.');
    if (labels.length && !labels.every((l) => LABEL.test(l))) return this.negative('NXDOMAIN');
    if (labels.length === 0) return qtype === 'SOA' ? this.positive([this.soa()]) : this.negative('NOERROR');
    // Everything lives under svc.<zone>, read right to left: svc, namespace, service, host.
    const [top, ns, svc, host] = [...labels].reverse();
    if (top !== 'svc' || labels.length > 4) return this.negative('NXDOMAIN');
    if (ns === undefined) return this.negative('NOERROR'); // svc.<zone>: a node with children only
    // kplex's one Service for every tenant's API, whether or not the tenant's `default` is made yet.
    const apiAddress =
      ns === 'default' && svc === 'kubernetes' && host === undefined
        ? this.opts.kubernetesAddress?.()
        : undefined;
    if (apiAddress) return this.addresses(name, qtype, [apiAddress]);
    const hostNs = this.index.hostNamespace(client.tenantUid, ns);
    if (!hostNs) return this.negative('NXDOMAIN');
    if (svc === undefined) return this.negative('NOERROR'); // <ns>.svc.<zone>
    const service = this.index.service(hostNs, svc);
    if (!service) return this.negative('NXDOMAIN');
    if (host !== undefined) {
      // StatefulSet (hostname + subdomain) pods of a headless Service.
      if (!service.spec.headless) return this.negative('NXDOMAIN');
      const pods = this.index
        .endpoints(service)
        .filter((p) => p.spec.hostname === host && p.spec.subdomain === svc);
      if (!pods.length) return this.negative('NXDOMAIN');
      return this.addresses(
        name,
        qtype,
        pods.flatMap((p) => p.status.ips),
      );
    }
    if (service.spec.type === 'ExternalName' && service.spec.externalName) {
      const target = service.spec.externalName.replace(/\.$/, '');
      return this.positive([{ type: 'CNAME', name, ttl: this.ttl, class: 'IN', data: target }]);
    }
    if (service.spec.headless)
      return this.addresses(
        name,
        qtype,
        this.index.endpoints(service).flatMap((p) => p.status.ips),
      );
    return this.addresses(name, qtype, service.spec.clusterIPs);
  }

  private addresses(name: string, qtype: string, ips: string[]): DnsAnswer {
    const answers: Answer[] = [];
    for (const ip of new Set(ips)) {
      const v6 = ip.includes(':');
      if (qtype === 'ANY' || qtype === (v6 ? 'AAAA' : 'A'))
        answers.push({ type: v6 ? 'AAAA' : 'A', name, ttl: this.ttl, class: 'IN', data: ip });
    }
    // The name exists even with no address of the asked type (NODATA), or no ready endpoint.
    return answers.length ? this.positive(answers) : this.negative('NOERROR');
  }

  private positive(answers: Answer[]): DnsAnswer {
    return { rcode: 'NOERROR', aa: true, answers, authorities: [] };
  }

  /** NXDOMAIN or NODATA, with the zone's SOA so resolvers cache the answer for `ttl` seconds. */
  private negative(rcode: 'NOERROR' | 'NXDOMAIN'): DnsAnswer {
    return { rcode, aa: true, answers: [], authorities: [this.soa()] };
  }

  private soa(): Answer {
    return {
      type: 'SOA',
      name: this.zone,
      ttl: this.ttl,
      class: 'IN',
      data: {
        mname: `ns.dns.${this.zone}`,
        rname: `hostmaster.${this.zone}`,
        serial: 1,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }
}
