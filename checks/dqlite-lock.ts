// Runbook, "Symptom" and "Recovery": `database is locked` means writers queue on dqlite's single
// SQLite write lock. A background of a few dozen a day is normal; a burst after a kubelite restart
// is the storm that breaks watches. k8s-dqlite logs `error in txn: ... database is locked` and
// kubelite's controllers log their failed writes, so both journals are read.
import { formatDuration } from '../lib/duration.ts';
import { logOptions, scanLogs, windowOf, type LogArgs } from '../lib/log-input.ts';
import { ScalarContext, Verdict } from '../lib/plugin/verdict.ts';
import { State } from '../lib/plugin/state.ts';
import type { CheckDefinition } from '../lib/plugin/runner.ts';
import type { LogLine } from '../lib/sources/logline.ts';
import { isoSeconds, plural, shorten } from '../lib/text.ts';

const LOCKED = 'database is locked';

interface Tally {
  locked: number;
  lastMinute: number;
  bySource: Map<string, number>;
  newest?: LogLine;
}

export const check: CheckDefinition<LogArgs> = {
  name: 'DQLITE-LOCK',
  command: 'check_dqlite_lock',
  description: "counts 'database is locked' (dqlite single-writer contention) in the kubelite and k8s-dqlite journals",
  defaultWarning: '5',
  defaultCritical: '50',
  options: (y) => logOptions(y),
  examples: [
    ['check_dqlite_lock', 'the last 5 minutes of the local journal'],
    ["journalctl -u snap.microk8s.daemon-kubelite.service --since -5min | check_dqlite_lock --log-file -", 'lines you pipe in'],
  ],
  async run({ args, warning, critical, deadline }) {
    const win = windowOf(args);
    const tally: Tally = { locked: 0, lastMinute: 0, bySource: new Map() };
    const source = await scanLogs(args, win, deadline, LOCKED, (line) => {
      if (!line.message.includes(LOCKED)) return;
      tally.locked++;
      if (line.time === undefined || line.time >= win.now - 60_000) tally.lastMinute++;
      const from = line.ident ?? 'unknown source';
      tally.bySource.set(from, (tally.bySource.get(from) ?? 0) + 1);
      if (!tally.newest || (line.time ?? Infinity) >= (tally.newest.time ?? -Infinity)) tally.newest = line;
    });

    const minutes = win.seconds / 60;
    const perMin = tally.locked / minutes;
    const v = new Verdict(check.name);
    v.measure({ label: 'locked', value: tally.locked, min: 0 }, new ScalarContext(warning, critical));
    v.measure({ label: 'locked_per_min', value: perMin, min: 0 });
    v.measure({ label: 'locked_last_min', value: tally.lastMinute, min: 0 });

    const window = formatDuration(win.seconds);
    const trend = trendOf(tally.lastMinute, perMin, minutes);
    if (tally.locked > 0) {
      v.detail(`by source: ${[...tally.bySource].map(([s, n]) => `${s} ${n}`).join(', ')}`);
      const n = tally.newest!;
      v.detail(`newest${n.time ? ` (${isoSeconds(n.time)}${n.host ? ` on ${n.host}` : ''})` : ''}: ${shorten(n.message)}`);
    }
    if (v.state !== State.OK) {
      v.detail(
        'Do not restart kubelite on any node until this check is OK: every restart floods the single dqlite writer again.',
        'Cut the write load: delete finished Jobs (check_stale_jobs lists them) and old BackOff events.',
        'Expect the rate to fall within 2-5 minutes; if it does not, or kine connections broke, see check_kine_retries.',
      );
    }
    const summary =
      tally.locked === 0
        ? `no '${LOCKED}' in the last ${window} (${source})`
        : `${plural(tally.locked, `'${LOCKED}' line`)} in the last ${window} (${perMin.toFixed(1)}/min, ${tally.lastMinute} in the last minute${trend ? `, ${trend}` : ''})`;
    return v.outcome(summary);
  },
};

/** Last minute against the window's mean per minute; needs a few minutes of window to mean anything. */
function trendOf(lastMinute: number, perMin: number, minutes: number): string {
  if (minutes < 3 || perMin === 0) return '';
  if (lastMinute > perMin * 1.25) return 'rising';
  if (lastMinute < perMin * 0.75) return 'falling';
  return 'steady';
}
