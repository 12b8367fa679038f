// What the restart gate reads of the journals: the storm checks judge the last 5 minutes, as they
// are run by default, while a kubelite restart counts back over --settle. The lines it judges are
// kubelite's and k8s-dqlite's, so those units are always read, whatever --unit adds (a --unit of
// other units alone left the storm unread, and the gate said GO); and a journal that begins inside
// the window would hide a kubelite start before its first entry, so it must reach back over it.
import { type Window, windowOver } from '../options/log.ts';
import { DEFAULT_UNITS } from '../sources/journalctl.ts';
import { crashed, type Crashes, withDqliteCrashes } from './dqlite-crashes.ts';
import { withKubeliteStarts } from './kubelite-start.ts';
import type { Counter, SourceResult } from './tally.ts';
import { formatDuration } from '../duration.ts';

/** The storm checks' window, in seconds. */
export const GATE_WINDOW = 300;

/** The window the gate's journals are read over: --settle, at least GATE_WINDOW. */
export const gateWindow = (settleMs: number, unit: string[] = []): Window => ({
  ...windowOver(Math.max(settleMs / 1000, GATE_WINDOW), [...new Set([...DEFAULT_UNITS, ...unit])]),
  reachBack: 'required',
});

/** What a journal's tally holds beside the storms, over the whole window. */
export type Settling = { lastStart: number; crashes: Crashes };

/** The storm counters over the last GATE_WINDOW of `win`, beside kubelite's newest start and k8s-dqlite's crashes over all of it. */
export const gateCounter = <T extends object>(storms: Counter<T>, win: Window): Counter<T & Settling> =>
  withDqliteCrashes(withKubeliteStarts(storms, win.now - GATE_WINDOW * 1000, win.now), win.now);

/**
 * What a journal says against a restart beyond the storms and kubelite's start (lib/kubelite-uptime.ts
 * judges that, once a host, beside systemd's): k8s-dqlite crashing.
 */
export function unsettledJournal(t: Settling, now: number, settleMs: number): string[] {
  const text = crashed(t.crashes, now, Math.max(settleMs, GATE_WINDOW * 1000));
  return text === undefined ? [] : [text];
}

/** What a GO judged calm: without --host only this host's journal (or the files given), never the cluster's. */
export function journalsJudged(journals: SourceResult<unknown>[]): string {
  const named = journals.map((j) =>
    j.source === 'journal' ? `${j.host ?? 'this host'}'s journal` : j.host ? `${j.host}: ${j.source}` : j.source,
  );
  return `journals judged calm over the last ${formatDuration(GATE_WINDOW)}: ${named.join(', ')}`;
}
