// What to look at first once check_services is not OK: k8s-dqlite restarting or down is the
// runbook's crash loop, where restarting anything else risks quorum; any other unit, its journal.
import type { Rate } from './restart-history.ts';
import { dqliteCrashloop } from './runbook.ts';
import { DQLITE_BACKEND } from './sources/dqlite.ts';
import type { UnitState } from './sources/systemd.ts';

const JOURNAL = "See the unit's journal (journalctl -u <unit> -n 50) for why it exits.";

/**
 * Whether `microk8s stop` took this node's services down: its lock there and every unit stopped (inactive, or
 * failed before). A lock left behind (started by snap start, not microk8s start) while a unit runs, or systemd
 * restarts one (activating), is no such word: a unit down beside them is judged as ever, a crash loop as one.
 */
export const stoppedHere = (stopped: boolean | undefined, units: readonly UnitState[]): boolean => {
  const found = units.filter((u) => u.load !== 'not-found');
  return Boolean(stopped) && found.length > 0 && found.every((u) => u.active === 'inactive' || u.active === 'failed');
};

/** What a node `microk8s stop` stopped needs: its services are down by that, not crashing. */
export const STOPPED_FINDING = 'MicroK8s stopped on this node (stopped.lock: microk8s stop)';
const STOPPED_ADVICE =
  'MicroK8s was stopped here (microk8s stop left $SNAP_DATA/var/lock/stopped.lock; its own commands say ' +
  '"microk8s is not running"): nothing crashed, and to bring the node back: microk8s start';

/**
 * The advice, given k8s-dqlite's unit if it was read, its rate if it has one, where the node keeps
 * its backend, and whether MicroK8s was stopped there (then that alone).
 */
export function unitAdvice(
  dqlite: UnitState | undefined,
  rate: Rate | undefined,
  backend = DQLITE_BACKEND,
  stopped = false,
): readonly string[] {
  if (stopped) return [STOPPED_ADVICE];
  const troubled =
    dqlite && dqlite.load !== 'not-found' && ((rate?.restarts ?? 0) > 0 || dqlite.restarts > 0 || dqlite.active !== 'active');
  return troubled ? dqliteCrashloop(backend) : [JOURNAL];
}
