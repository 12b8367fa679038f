// SQLite under dqlite never returns freed pages: after months of churn the database is mostly free
// pages, and every raft snapshot copies them. --freelist asks for their share.
import { Range } from './plugin/range.ts';
import { shownAgainst } from './plugin/shown.ts';
import { State } from './plugin/state.ts';
import { ScalarContext, type Verdict } from './plugin/verdict.ts';
import type { FreelistAnswer } from './sources/dqlite-freelist.ts';

/** The share of free pages as perfdata, and the bloat it shows over `warningPct`: its finding's state, if any. */
export function judgeFreePages(
  v: Verdict,
  f: Pick<FreelistAnswer, 'freePages' | 'freelistProblem'>,
  warningPct: number,
): State | undefined {
  if (f.freelistProblem) {
    v.find(State.UNKNOWN, `--freelist: ${f.freelistProblem}`);
    v.measure({ label: 'freelist_pct', value: NaN, uom: '%', min: 0, max: 100 }, new ScalarContext(Range.above(warningPct)));
  }
  if (!f.freePages) return undefined;
  const pct = f.freePages.pages ? (100 * f.freePages.free) / f.freePages.pages : 0;
  // Mostly free pages: above warningPct (half), as the perfdata's range says (it cannot say 'half or more').
  const range = Range.above(warningPct);
  const alerts = range.alerts(pct);
  const said = shownAgainst(pct, [range]);
  v.measure({ label: 'freelist_pct', value: said, uom: '%', min: 0, max: 100 }, new ScalarContext(range));
  if (!alerts) {
    v.detail(`${f.freePages.free} of ${f.freePages.pages} database pages free`);
    return undefined;
  }
  v.find(State.WARNING, `${said}% of the database is free pages (${f.freePages.free} of ${f.freePages.pages}): every snapshot copies them`);
  return State.WARNING;
}
