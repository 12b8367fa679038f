// What the restart gate read but does not judge, said in its long output so that no one takes it
// for judged: a journal read over a window on its host's own clock, off ours; a k8s-dqlite left
// out (a worker's, inactive by design, or one held back by a lock file).
import { skewDetail } from './clock-skew.ts';
import type { RemoteClock } from './sources/ssh/clock.ts';
import type { UnitFacts } from './sources/units.ts';

export function unjudgedReads(
  journals: { clock?: RemoteClock }[],
  units: { host?: string; facts?: Pick<UnitFacts, 'leftOut'> }[],
): string[] {
  return [
    ...journals.flatMap((j) => skewDetail(j.clock, 'its journal was read over the window on its own clock') || []),
    ...units.flatMap((u) => (u.facts?.leftOut ?? []).map((l) => `${u.host ? `${u.host}: ` : ''}k8s-dqlite left out: ${l.why}`)),
  ];
}
