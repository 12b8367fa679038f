// check_leases' primary metric: the staler leader lease's renew age, judged by -w/-c only where
// the admin gives them (an expired or late lease is judged by its own finding whatever they say).
import type { JudgedLease } from './leader-lease.ts';
import type { Thresholds } from './plugin/range.ts';
import { shownAgainst } from './plugin/shown.ts';
import { State } from './plugin/state.ts';
import { ScalarContext, type Verdict } from './plugin/verdict.ts';

/** renew_age, the staler lease's (unknown where a lease could not be judged), and what -w/-c find of it. */
export function judgeRenewAge(v: Verdict, judged: (JudgedLease | undefined)[], { warning, critical }: Thresholds): void {
  let oldest = 0;
  // The staler lease, and the state its own finding said it at: -w/-c on renew_age name it on the
  // first line unless that finding already gives their state (a late lease's WARNING at -c is no CRITICAL's reason).
  let staler: { short: string; saidAt?: State } | undefined;
  for (const lease of judged) {
    if (!lease) {
      oldest = NaN;
      continue;
    }
    if ((lease.age ?? Infinity) > oldest || !staler) staler = { short: lease.short, saidAt: lease.saidAt };
    oldest = Math.max(oldest, lease.age ?? Infinity);
  }
  const ageState = v.measure(
    { label: 'renew_age', value: Number.isFinite(oldest) ? oldest : NaN, uom: 's', min: 0 },
    new ScalarContext(warning, critical),
  );
  // Judged by -w/-c alone, the first line says so: it read 'leaders: kcm k8s01, ...', CRITICAL for no reason given.
  const unsaid = staler && (staler.saidAt === undefined || (ageState === State.CRITICAL && staler.saidAt === State.WARNING));
  if ((ageState === State.WARNING || ageState === State.CRITICAL) && staler && unsaid && Number.isFinite(oldest))
    v.find(
      ageState,
      `${staler.short} lease renewed ${shownAgainst(oldest, [warning, critical])}s ago ` +
        `(${ageState === State.CRITICAL ? `-c ${critical}` : `-w ${warning}`})`,
    );
}
