import { BlockList, isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { UsageError } from './errors.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace name (RFC 1123 label, at most 63 characters). */
export function dns1123Label(value: string, what: string): string {
  if (value.length > 63 || !DNS1123_LABEL.test(value))
    throw new UsageError(`${what} '${value}' is not a valid name (RFC 1123: lower-case letters, digits and '-', at most 63)`);
  return value;
}

/** A node or object name (RFC 1123 subdomain, at most 253 characters). */
export function dns1123Subdomain(value: string, what: string): string {
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value))
    throw new UsageError(`${what} '${value}' is not a valid name (RFC 1123: lower-case letters, digits, '-' and '.', at most 253)`);
  return value;
}

/**
 * The node a check judges without --node: this host, read locally or among the --host read over
 * SSH; else the one --host, whose own name is to be asked (`ask`): MicroK8s names a node after
 * its host's name, lower-cased, not after the name or address it is reached by
 * (k8s02.example.com, 10.0.0.12). A check run on the Nagios server with --host k8s02 means k8s02:
 * this host's name there named a node the cluster does not have. Of several hosts none is the node
 * meant, but for this host's own addresses: a node's NRPE line reading every node by address
 * (--host 10.0.0.11 --host 10.0.0.12 ...) gates that node, as it did before --host implied one.
 */
export function impliedNode(hosts: readonly string[], here: string): { node: string } | { ask: string } | { why: string } {
  const label = (h: string) => h.toLowerCase().split('.')[0];
  const family = (a: string) => (isIP(a) === 6 ? 'ipv6' : 'ipv4');
  const mine = new BlockList();
  if (hosts.some((h) => isIP(h) !== 0)) for (const a of ownAddresses()) if (isIP(a)) mine.addAddress(a, family(a));
  const isHere = (h: string) => (isIP(h) === 0 ? label(h) === label(here) : mine.check(h, family(h)));
  if (!hosts.length || hosts.some(isHere)) return { node: here.toLowerCase() };
  if (hosts.length > 1) return { why: `${hosts.length} hosts are read with --host, and this host (${here}) is none of them` };
  return { ask: hosts[0]! };
}

/**
 * This host's addresses but loopback's: 127.0.0.1 with --ssh-port may be a tunnel to another
 * node's sshd, and a name is compared by name.
 */
function ownAddresses(): string[] {
  try {
    return Object.values(networkInterfaces()).flatMap((nics) => (nics ?? []).filter((n) => !n.internal).map((n) => n.address));
  } catch {
    // libuv cannot list them (a sandbox without netlink): no address is then known as this host's.
    return [];
  }
}

/**
 * --node, else the node implied by where the check reads (impliedNode), or the one --host to ask
 * its own name (host-name.ts), never a name guessed from how it was written. A usage error where
 * none is; checked before anything is read.
 */
export function nodeChoice(given: string | undefined, hosts: readonly string[], here = hostname()): { node: string } | { ask: string } {
  if (given !== undefined) return { node: dns1123Subdomain(given, '--node') };
  const implied = impliedNode(hosts, here);
  if ('why' in implied) throw new UsageError(`give --node: ${implied.why}`);
  if ('node' in implied) return { node: dns1123Subdomain(implied.node, "give --node: this host's name") };
  // Named as what the user gave: '--node [fd00::2] is not a valid name' blamed an option never given.
  if (isIP(implied.ask) === 0) dns1123Subdomain(implied.ask.toLowerCase(), 'give --node: the --host');
  return implied;
}

/** The node a host is, from the name it gives itself (lower-cased, as MicroK8s names it); a usage error where that is no node name. */
export const askedNode = (host: string, name: string): string =>
  dns1123Subdomain(name.toLowerCase(), `give --node: the host name of ${host}`);
