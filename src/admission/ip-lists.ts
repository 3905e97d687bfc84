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
