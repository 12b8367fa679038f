// What to look at first once check_services is not OK: k8s-dqlite restarting or down is the
// runbook's crash loop, where restarting anything else risks quorum; any other unit, its journal.
import type { Rate } from './restart-history.ts';
import { dqliteCrashloop } from './runbook.ts';
import { DQLITE_BACKEND } from './sources/dqlite.ts';
import type { UnitState } from './sources/systemd.ts';

const JOURNAL = "See the unit's journal (journalctl -u <unit> -n 50) for why it exits.";

/** The advice, given k8s-dqlite's unit if it was read, its rate if it has one, and where the node keeps its backend. */
export function unitAdvice(dqlite: UnitState | undefined, rate: Rate | undefined, backend = DQLITE_BACKEND): readonly string[] {
  const troubled =
    dqlite && dqlite.load !== 'not-found' && ((rate?.restarts ?? 0) > 0 || dqlite.restarts > 0 || dqlite.active !== 'active');
  return troubled ? dqliteCrashloop(backend) : [JOURNAL];
}
