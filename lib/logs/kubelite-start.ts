// The lines that say kubelite (re)started: its own "Starting kubelite", and systemd's job line,
// which names the unit by its description ("Started Service for snap application
// microk8s.daemon-kubelite", with or without the final dot, as systemd versions differ), or, on newer
// systemd (StatusUnitFormat=combined: Debian 12's 252, Ubuntu 24.04's 255), by its name and
// description ("Started snap.microk8s.daemon-kubelite.service - Service for snap application
// microk8s.daemon-kubelite.") or its name alone (StatusUnitFormat=name). A restart this recent has
// not settled yet.
import { formatDuration } from '../duration.ts';
import type { Counter } from './tally.ts';

/** The journal --grep alternatives that find them (matched case-insensitively, as every --grep of the scan). */
export const KUBELITE_START_GREP =
  'starting kubelite|started service for snap application microk8s.daemon-kubelite|started snap.microk8s.daemon-kubelite.service';

const UNIT = 'snap\\.microk8s\\.daemon-kubelite\\.service';
const DESCRIPTION = 'Service for snap application microk8s\\.daemon-kubelite';
const STARTS = new RegExp(`^Starting kubelite$|^Started (?:${UNIT} - )?${DESCRIPTION}\\.?$|^Started ${UNIT}\\.?$`);

/** Whether a log message is one of them. */
export const isKubeliteStart = (message: string): boolean => STARTS.test(message.trim());

/**
 * `inner`, counting only lines from `since` on, beside the newest kubelite start of the whole
 * read (a line without a time is taken as `now`): how long ago kubelite last (re)started reaches
 * further back than the window a storm is judged over.
 */
export function withKubeliteStarts<T extends object>(inner: Counter<T>, since: number, now: number): Counter<T & { lastStart: number }> {
  return {
    grep: `${inner.grep}|${KUBELITE_START_GREP}`,
    fresh: () => ({ ...inner.fresh(), lastStart: 0 }),
    count: (t, line) => {
      if (isKubeliteStart(line.message)) t.lastStart = Math.max(t.lastStart, line.time ?? now);
      if (line.time !== undefined && line.time < since) return;
      inner.count(t, line);
    },
  };
}

/** A kubelite (re)start less than `settleMs` before `now`, said; undefined where there is none. */
export function unsettled(lastStart: number, now: number, settleMs: number): string | undefined {
  if (!lastStart || now - lastStart >= settleMs) return undefined;
  return `kubelite restarted ${formatDuration(Math.max(1, (now - lastStart) / 1000))} ago (settle ${formatDuration(settleMs / 1000)})`;
}
