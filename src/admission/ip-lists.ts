// Allow-lists of IP addresses and CIDRs from a Tenant's policy (externalIPs, clusterIPs). Entries
// that are no address or CIDR allow nothing.
import { BlockList, isIP } from 'node:net';

export function allowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const [addr = '', bits] = e.split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(addr)) continue;
    if (bits === undefined) list.addAddress(addr, family);
    else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 'ipv6' ? 128 : 32))
      list.addSubnet(addr, Number(bits), family);
  }
  return list;
}

/** Whether `ip` is an address the list holds (anything that is no address: never). */
export function inList(list: BlockList, ip: string): boolean {
  const v = isIP(ip);
  return v !== 0 && list.check(ip, v === 6 ? 'ipv6' : 'ipv4');
}

interface Cidr {
  base: string;
  bits: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidr(c: string): Cidr | undefined {
  const [base = '', b] = c.split('/');
  const v = isIP(base);
  const bits = Number(b);
  if (!v || b === undefined || !/^\d{1,3}$/.test(b) || bits > (v === 6 ? 128 : 32)) return undefined;
  return { base, bits, family: v === 6 ? 'ipv6' : 'ipv4' };
}

/** Whether CIDR `outer` holds all of CIDR `inner`. */
function holds(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  const l = new BlockList();
  l.addSubnet(outer.base, outer.bits, outer.family);
  return l.check(inner.base, inner.family);
}

/**
 * Whether the range `cidr` minus the ranges `except` still reaches into `target` (a range of pod
 * addresses). Anything unparsable counts as reaching (refuse what cannot be judged).
 */
export function reachesInto(cidr: string, except: readonly string[], target: string): boolean {
  const c = parseCidr(cidr);
  const t = parseCidr(target);
  if (!c || !t) return true;
  if (c.family !== t.family) return false;
  if (!holds(c, t) && !holds(t, c)) return false; // disjoint
  return !except.some((e) => {
    const x = parseCidr(e);
    return !!x && holds(x, t);
  });
}
