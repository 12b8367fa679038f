// Runbook, "new pods fail to schedule": a scheduler whose informer cache went stale never sees the
// pods created since, so none of them is bound and none carries its verdict. A pod it did judge
// (Unschedulable: no node fits) shows it looks at new pods: a quiet cluster with one pod too big
// for every node is no stalled scheduler, and its recovery (restarting kubelite) is the storm the
// runbook warns of. Such pods are counted, with the scheduler's own words on each.
import { formatDuration } from './duration.ts';
import { State } from './plugin/state.ts';
import type { Finding } from './plugin/verdict.ts';

/** A pod left unbound past --min-age; `scheduler`: another than kube-scheduler; `judged`: it wrote Unschedulable. */
export interface WaitingPod {
  ref: string;
  since: number;
  why: string;
  scheduler?: string;
  judged?: boolean;
}

/** The finding that the scheduler itself stalled: no bind since the oldest pod it should have looked at and did not. */
export function stalledScheduler(waiting: WaitingPod[], newestBind: number, now: number): Finding | undefined {
  // Only pods kube-scheduler should bind say it stalled: another scheduler's are that one's to bind.
  const oldestWait = Math.min(...waiting.filter((w) => !w.scheduler && !w.judged).map((w) => w.since));
  if (!Number.isFinite(oldestWait) || newestBind >= oldestWait) return undefined;
  const waited = formatDuration((now - oldestWait) / 1000);
  // A pod it judged that waits longer is listed above this one: 'the oldest waiting one' is not it.
  const unjudged = waiting.some((w) => !w.scheduler && w.judged && w.since < oldestWait) ? ' it has not judged' : '';
  return {
    state: State.CRITICAL,
    text: `no pod bound anywhere since the oldest waiting one${unjudged} arrived ${waited} ago: the scheduler looks stalled`,
  };
}

/**
 * The long output's word on pods the scheduler judged unschedulable with no bind since they came
 * (what read "stalled" before): it looks at new pods; its cache is stale only where what it names is not so.
 */
export function judgedLines(waiting: WaitingPod[], newestBind: number): string[] {
  const judged = waiting.filter((w) => w.judged && !w.scheduler && w.since > newestBind).length;
  if (judged === 0) return [];
  return [
    `the scheduler judged ${judged} of them unschedulable (its message on each above), and no pod was bound since: it ` +
      'sees new pods; give them what it names (resources, tolerations, node selectors, volumes). Only where what it ' +
      'names is not so (a taint, or a NotReady node that check_nodes does not show) is its cache stale, and then:',
  ];
}
