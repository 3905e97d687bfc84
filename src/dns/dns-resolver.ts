// Answers one question for one tenant pod, as the cluster DNS (CoreDNS's kubernetes plugin) would
// inside a cluster of the tenant's own: `<svc>.<ns>.svc.<zone>` and `<host>.<svc>.<ns>.svc.<zone>`
// where `ns` is one of THE ASKING TENANT's virtual namespaces. Nothing else exists in the zone, so
// another tenant's names and host namespace names are NXDOMAIN, indistinguishable from names no
// one has. Names outside the zone are REFUSED: this server is authoritative for the cluster zone
// only and does not recurse (there is no upstream on the local host; see docs/architecture.md).
import type { Answer } from 'dns-packet';
import { withServiceNamespace } from '../api/service-dns-names.js';
import type { DnsClient, DnsIndex } from './dns-index.js';
import type { DnsPod, DnsPort, DnsService } from './dns-objects.js';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED';

export interface DnsAnswer {
  rcode: Rcode;
  /** Authoritative: every answer inside the zone. */
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
  /** The addresses of SRV targets. */
  additionals?: Answer[];
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
/** `_<port name>._<protocol>` in front of a Service name asks for its SRV record. */
const SRV_LABEL = /^_[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dashed = (ip: string): string => ip.replace(/[.:]/g, '-');

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

  /**
   * An ExternalName naming a Service of the tenant reaches the host with its host namespace
   * (api/service-dns-names.ts): the tenant's pods follow the CNAME in its virtual namespace.
   */
  private virtualTarget(client: DnsClient, externalName: string): string {
    return withServiceNamespace(externalName, (hostNs) => {
      const owner = this.index.owner(hostNs);
      return owner?.tenantUid === client.tenantUid ? owner.namespace : hostNs;
    });
  }

  resolve(client: DnsClient, qname: string, qtype: string): DnsAnswer {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name !== this.zone && !name.endsWith(`.${this.zone}`))
      return { rcode: 'REFUSED', aa: false, answers: [], authorities: [] };
    let labels = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split('.');
    let srv: { port: string; proto: string } | undefined;
    if (labels.length === 5 && SRV_LABEL.test(labels[0]!) && SRV_LABEL.test(labels[1]!)) {
      srv = { port: labels[0]!.slice(1), proto: labels[1]!.slice(1) };
      labels = labels.slice(2);
    }
    if (labels.length && !labels.every((l) => LABEL.test(l))) return this.negative('NXDOMAIN');
    if (labels.length === 0) return qtype === 'SOA' ? this.positive([this.soa()]) : this.negative('NOERROR');
    // Everything lives under svc.<zone>, read right to left: svc, namespace, service, host.
    const [top, ns, svc, host] = [...labels].reverse();
    if (top !== 'svc' || labels.length > 4 || (srv && labels.length !== 3)) return this.negative('NXDOMAIN');
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
      // A headless Service's pod by its hostname (StatefulSet pods) or its dashed IP.
      if (!service.spec.headless) return this.negative('NXDOMAIN');
      const pods = this.index.endpoints(service).filter((p) => this.endpointName(p, svc) === host);
      if (!pods.length) return this.negative('NXDOMAIN');
      return this.addresses(
        name,
        qtype,
        pods.flatMap((p) => p.status.ips),
      );
    }
    if (srv || (qtype === 'SRV' && service.spec.type !== 'ExternalName'))
      return this.srv(name, service, ns, srv, qtype);
    if (service.spec.type === 'ExternalName' && service.spec.externalName) {
      const target = this.virtualTarget(client, service.spec.externalName).replace(/\.$/, '');
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

  /** A pod's name under a headless Service: its hostname when its subdomain is the Service. */
  private endpointName(p: DnsPod, svc: string): string {
    return p.spec.hostname && p.spec.subdomain === svc ? p.spec.hostname : dashed(p.status.ips[0] ?? '');
  }

  /**
   * SRV records of a Service's ports (all of them, or the one `_<name>._<proto>` names): the
   * Service name as target, or each ready pod's name for a headless Service, with its address
   * in the additional section.
   */
  private srv(
    name: string,
    service: DnsService,
    namespace: string,
    want: { port: string; proto: string } | undefined,
    qtype: string,
  ): DnsAnswer {
    const ports = service.spec.ports.filter(
      (p) => !want || (p.name === want.port && p.protocol.toLowerCase() === want.proto),
    );
    if (!ports.length) return this.negative(want ? 'NXDOMAIN' : 'NOERROR');
    if (qtype !== 'SRV' && qtype !== 'ANY') return this.negative('NOERROR');
    const base = `${service.metadata.name}.${namespace}.svc.${this.zone}`;
    const targets: { name: string; ips: string[]; port: (p: DnsPort) => number }[] = service.spec.headless
      ? this.index.endpoints(service).map((pod) => ({
          name: `${this.endpointName(pod, service.metadata.name)}.${base}`,
          ips: pod.status.ips,
          port: (p) => p.targetPort ?? p.port,
        }))
      : [{ name: base, ips: service.spec.clusterIPs, port: (p) => p.port }];
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    for (const t of targets) {
      for (const p of ports)
        answers.push({
          type: 'SRV',
          name,
          ttl: this.ttl,
          class: 'IN',
          data: { priority: 0, weight: 100, port: t.port(p), target: t.name },
        });
      for (const ip of t.ips)
        additionals.push({
          type: ip.includes(':') ? 'AAAA' : 'A',
          name: t.name,
          ttl: this.ttl,
          class: 'IN',
          data: ip,
        });
    }
    return answers.length ? { ...this.positive(answers), additionals } : this.negative('NOERROR');
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
