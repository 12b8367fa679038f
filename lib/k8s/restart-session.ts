// "During a restart session": the next kubelite restart waits for every node Ready, uncordoned and
// untainted. Another node cordoned is an earlier restart not finished; the node asked for may be
// cordoned already, its own cordon being the sequence's first step.
import type { V1Node } from '@kubernetes/client-node';
import { pressures, pressureText, taintText, unexpectedTaints } from './nodes.ts';
import { isReady } from './ready.ts';
import type { Wire } from './wire.ts';

/** What the Node list says against restarting kubelite on a node, read in one walk of the list. */
export interface Session {
  /** The nodes not Ready first, then each node cordoned, under pressure, or tainted beyond the allowed taints. */
  unsettled: string[];
  /** Set when the node asked for is not in the list. */
  absent?: string;
}

export function restartSession(nodes: Wire<V1Node>[], node: string, allowTaint: string[]): Session {
  const notReady: string[] = [];
  const held: string[] = [];
  let found = false;
  for (const n of nodes) {
    const name = n.metadata?.name;
    found ||= name === node;
    if (!isReady(n)) notReady.push(`node ${name} is not Ready`);
    if (n.spec?.unschedulable && name !== node) held.push(`node ${name} is cordoned (an earlier restart not finished?)`);
    // Pressure keeps new pods off the node as its taint did: said as the kubelet's condition, not as that taint.
    const pressed = pressures(n);
    for (const p of pressed) held.push(`node ${name} has ${pressureText(p)}`);
    const extra = unexpectedTaints(n.spec?.taints ?? [], allowTaint, pressed, {
      ready: isReady(n),
      cordoned: Boolean(n.spec?.unschedulable),
    });
    if (extra.length) held.push(`node ${name} is tainted: ${extra.map(taintText).join(', ')}`);
  }
  return {
    unsettled: [...notReady, ...held],
    absent: found ? undefined : `node ${node} is not in the cluster (fix: give --node as kubectl get nodes names it)`,
  };
}
