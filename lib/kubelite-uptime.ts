// kubelite's start for the restart gate, from its journals' start lines and from systemd, which
// stamps the start on the host's CLOCK_MONOTONIC too. A journal line is stamped on the wall clock:
// one stepped forward after it was written (a node without a hardware clock, kubelite started
// before NTP set the time after a reboot) reads hours old, and the gate said GO inside --settle.
// The monotonic clock is never stepped. kubelite is asked for its start alone: check_services'
// state rules judge k8s-dqlite, never kubelite (apiserver-kicker restarts it by design), and
// systemd's own restarts of k8s-dqlite are read from the same answer (restartedBySystemd).
import { formatDuration } from './duration.ts';
import type { Settling } from './logs/gate-window.ts';
import { unsettled } from './logs/kubelite-start.ts';
import type { SourceResult } from './logs/tally.ts';
import { missingUnit } from './missing-unit.ts';
import { partOf, type PartialResult } from './plugin/partial.ts';
import { reasonOf } from './plugin/runner.ts';
import { State } from './plugin/state.ts';
import type { Outcome } from './plugin/verdict.ts';
import { K8S_DQLITE_UNIT, serviceUnit } from './sources/snap-locks.ts';
import type { UnitFacts } from './sources/units.ts';
import { secondsOf, untold, uptimeOf } from './unit-age.ts';

export const KUBELITE_UNIT = serviceUnit('kubelite');

/** One host's units as the gate read them, or why they could not be. */
type UnitsRead = { host?: string; facts?: UnitFacts; error?: unknown };

/** A host's units without kubelite: what check_services' state rules judge. */
export const judgedUnits = <F extends UnitFacts>(f: F): F => ({ ...f, units: f.units.filter((u) => u.id !== KUBELITE_UNIT) });

/** When systemd says kubelite last started (ms on this host's clock: `now` less its age there), or why that blocks. */
function systemdStart(f: UnitFacts, now: number): { at: number } | { text: string } | undefined {
  const u = f.units.find((x) => x.id === KUBELITE_UNIT);
  if (!u) return undefined;
  if (u.load === 'not-found') return { text: `cannot tell when kubelite started: ${missingUnit(u.id)}` };
  // Down (or going down, or coming up): not a node to restart kubelite on by the sequence, nor one
  // whose start can be told; a node whose kubelite is down goes NotReady.
  if (u.active !== 'active') return { text: `kubelite is ${u.active}${u.result !== 'success' ? ` (${u.result})` : ''}` };
  const age = uptimeOf(u, f.clock);
  if (!age) return { text: 'cannot tell when kubelite started: systemd says it is active but stamped no start' };
  if (!('seconds' in age)) return { text: untold("kubelite's start", 'its start', age) };
  return { at: now - age.seconds * 1000 };
}

/**
 * kubelite restarted within --settle, said once a host, by the newest of its journals' start lines
 * and systemd's start (either within --settle blocks): `take(host)` beside that host's journal (the
 * first read), `rest()` the others, then where systemd cannot time it: not running, not known
 * there, or its clocks untold. A host whose units could not be read is blocked by that already.
 */
export function kubeliteStarts(journals: SourceResult<{ lastStart: number }>[], units: UnitsRead[], now: number, settleMs: number) {
  const newest = new Map<string | undefined, number>();
  const later = (host: string | undefined, at: number) => newest.set(host, Math.max(newest.get(host) ?? 0, at));
  for (const j of journals) if (j.tally) later(j.host, j.tally.lastStart);
  const untimed: PartialResult[] = [];
  for (const u of units) {
    const s = u.facts && systemdStart(u.facts, now);
    if (s && 'text' in s) untimed.push({ host: u.host, state: State.CRITICAL, text: s.text });
    else if (s) later(u.host, s.at);
  }
  const take = (host: string | undefined): PartialResult[] => {
    const at = newest.get(host);
    newest.delete(host);
    const text = at === undefined ? undefined : unsettled(at, now, settleMs);
    return text ? [{ host, state: State.CRITICAL, text }] : [];
  };
  return { take, rest: () => [...[...newest.keys()].flatMap(take), ...untimed] };
}

/**
 * k8s-dqlite on each host as `judge` (check_services' state rules) says it, kubelite left out; a host
 * whose units could not be read, why (a blocker: neither can be told there).
 */
export function dqliteBlockers<F extends UnitFacts>(units: { host?: string; facts?: F; error?: unknown }[], judge: (f: F) => Outcome) {
  return units.map((u): PartialResult => {
    if (u.facts) return partOf('services', judge(judgedUnits(u.facts)), u.host);
    const text = `cannot tell whether k8s-dqlite is crash-looping or when kubelite started (${reasonOf(u.error)})`;
    return { host: u.host, state: State.CRITICAL, text };
  });
}

/**
 * k8s-dqlite restarted by systemd within the gate's window, as systemd itself tells it. NRestarts
 * counts systemd's own restarts only (service_enter_restart), and is flushed at the next start once
 * the unit went down any other way (a stop, `systemctl restart`: the runbook's recovery), so a
 * count above 0 makes the running main process one of those restarts, after a crash. The journal's
 * restart-counter lines tell the same where they are read: a journal rotated away, or stamped on a
 * wall clock stepped since, hid the crash, and the gate said GO 4 minutes after it.
 *
 * Each host whose k8s-dqlite systemd restarted within `windowMs`, where its journal's lines did not
 * already say so (one blocker a crash) and check_services' state rules do not (`afterMs`: its
 * --min-uptime, within which a restart is theirs: "restarting now").
 */
export function restartedBySystemd(
  units: { host?: string; facts?: UnitFacts }[],
  journals: SourceResult<Settling>[],
  windowMs: number,
  afterMs: number,
): PartialResult[] {
  const told = new Set(journals.filter((j) => (j.tally?.crashes.count ?? 0) > 0).map((j) => j.host));
  return units.flatMap(({ host, facts }) => {
    const unit = facts?.units.find((u) => u.id === K8S_DQLITE_UNIT);
    if (!unit || unit.restarts < 1 || told.has(host)) return [];
    const seconds = secondsOf(uptimeOf(unit, facts!.clock));
    if (!(seconds * 1000 >= afterMs && seconds * 1000 < windowMs)) return [];
    const text =
      `k8s-dqlite restarted by systemd after a crash ${formatDuration(seconds)} ago (NRestarts ${unit.restarts}), ` +
      `within ${formatDuration(windowMs / 1000)}`;
    return [{ host, state: State.CRITICAL, text }];
  });
}
