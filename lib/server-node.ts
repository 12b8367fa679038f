// Which node an API server is, for advice that names it: the Node whose InternalIP (else any of its
// addresses) the server's host is; a loopback server is this host, by the name its kubelet
// registers (lower-cased host name: a node Lease of that name says it is a node); a host name is
// the node of that name. Undefined where none of that holds: the advice keeps its placeholder.
import type { V1Node } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { nodeAt } from './k8s/nodes.ts';
import type { Wire } from './k8s/wire.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** server: the API server's URL; names: the node names known (its node Leases); nodes: the Nodes, where listed. */
export function serverNode(server: string, names: Iterable<string>, nodes: Wire<V1Node>[] = [], here = hostname()): string | undefined {
  const url = new URL(server);
  const byAddress = nodeAt(nodes, url.host);
  if (byAddress) return byAddress;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const name = LOOPBACK.test(host) ? here : isIP(host) ? undefined : host;
  if (name === undefined) return undefined;
  const lower = name.toLowerCase();
  const known = [...names];
  return known.find((n) => n === lower) ?? known.find((n) => n === lower.split('.')[0]);
}
