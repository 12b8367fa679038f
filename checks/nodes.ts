// Runbook, "During a restart session" and "Verification": wait for all nodes Ready with no taints
// before the next restart. A node NotReady is CRITICAL; a cordoned or tainted one is WARNING (a
// restart session left half done).
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { listAcross } from '../lib/k8s/list.ts';
import { nodeReady, taintText, unexpectedTaints } from '../lib/k8s/nodes.ts';
import { connect, kubeOptions, type KubeArgs } from '../lib/kube-input.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { plural } from '../lib/text.ts';
import type { Wire } from '../lib/sources/kube.ts';

interface Args extends KubeArgs {
  'allow-taint'?: string[];
}

export const check: CheckDefinition<Args> = {
  name: 'NODES',
  command: 'check_nodes',
  description: 'checks that every node is Ready, none is cordoned and none carries unexpected taints',
  defaultCritical: '0',
  options: (y) => kubeOptions(y).option('allow-taint', { type: 'string', array: true, describe: 'taint that is fine: key, key=value, key:Effect (repeatable)' }),
  examples: [['check_nodes --allow-taint node-role.kubernetes.io/control-plane:NoSchedule', 'control-plane taints are expected']],
  async run({ args, warning, critical, deadline, log }) {
    const cluster = connect(args, deadline, log);
    const core = cluster.api(CoreV1Api);
    const notReady: string[] = [];
    const cordoned: string[] = [];
    const tainted: string[] = [];
    let nodes = 0;
    deadline.activity = `listing nodes from ${cluster.server}`;
    await listAcross({ namespaces: [], cluster }, { resource: 'nodes', group: '' }, (p, o) => core.listNode(p, o), (node: Wire<V1Node>) => {
      nodes++;
      const name = node.metadata?.name ?? '';
      if (!nodeReady(node)) {
        const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
        notReady.push(`${name} NotReady${ready?.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}`);
      }
      if (node.spec?.unschedulable) cordoned.push(name);
      const extra = unexpectedTaints(node, args['allow-taint'] ?? []);
      if (extra.length) tainted.push(`${name}: ${extra.map(taintText).join(', ')}`);
    });

    const v = new Verdict(check.name);
    v.measure({ label: 'not_ready', value: notReady.length, min: 0, max: nodes }, new ScalarContext(warning, critical));
    v.measure({ label: 'nodes', value: nodes, min: 0 });
    v.measure({ label: 'cordoned', value: cordoned.length, min: 0, max: nodes });
    v.measure({ label: 'tainted', value: tainted.length, min: 0, max: nodes });
    if (cordoned.length) v.find(State.WARNING, `cordoned: ${cordoned.join(', ')}`);
    if (tainted.length) v.find(State.WARNING, `${plural(tainted.length, 'node')} tainted`);
    if (nodes === 0) v.find(State.UNKNOWN, 'the API server lists no nodes');
    v.detail(...notReady, ...tainted.map((t) => `tainted ${t}`));
    if (cordoned.length) v.detail(`a restart session left nodes cordoned? when they are Ready: kubectl uncordon ${cordoned.join(' ')}`);
    if (v.state !== State.OK) v.detail('Do not restart kubelite on another node until every node is Ready, uncordoned and untainted.');
    // With no node listed there is nothing to call Ready: the finding says it alone.
    const head = nodes === 0 ? [] : [notReady.length ? `${notReady.length} of ${plural(nodes, 'node')} NotReady: ${notReady.map((n) => n.split(' ')[0]).join(', ')}` : `${plural(nodes, 'node')}, all Ready`];
    return v.outcome([...head, ...v.findings.map((f) => f.text)].join(', '));
  },
};
