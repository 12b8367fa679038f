// Time zones as the cronjob controller reads schedules in them, looked up without starting ICU
// where that is not needed: ICU's time zone data costs about 20 ms of CPU to start (measured in
// `microk8s-checks all`, bench/RESULTS.md), every minute on every node, and a MicroK8s node
// usually runs in UTC, where no zone data is needed at all.
import { readlinkSync } from 'node:fs';
import { UsageError } from '../errors.ts';

// The IANA names of UTC itself (tzdata's `backward` links); luxon, under cron-parser, computes
// 'UTC' as a fixed offset and these would each start ICU.
const UTC_NAMES = new Set(
  ['UTC', 'UCT', 'Universal', 'Zulu', 'GMT', 'GMT0', 'GMT+0', 'GMT-0', 'Greenwich'].flatMap((n) => [n, `Etc/${n}`]),
);

/** A zone name that is UTC under another name: read as 'UTC', no zone data needed. */
export const isUtc = (zone: string): boolean => UTC_NAMES.has(zone);

/** Whether this runtime's ICU knows the zone (starts ICU, unless it is UTC). */
export function knownZone(zone: string): boolean {
  if (isUtc(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * This host's time zone, as ICU would name it: without TZ in the environment ICU follows the
 * /etc/localtime link into the zoneinfo tree, so that link names it. Anything else (TZ set, a
 * copied file, no file) is asked of ICU itself.
 */
export function hostTimeZone(env: NodeJS.ProcessEnv = process.env, localtime = '/etc/localtime'): string {
  if (env.TZ === undefined) {
    try {
      const zone = /\/zoneinfo\/((?:[A-Za-z0-9_+-]+\/)*[A-Za-z0-9_+-]+)$/.exec(readlinkSync(localtime))?.[1];
      if (zone && !zone.startsWith('posix/') && !zone.startsWith('right/')) return zone;
    } catch {
      // Not a link (a copy of the zone file), or no file: ICU knows what it falls back to.
    }
  }
  // A TZ the C library cannot read (empty, or a zone the host lacks) is UTC to it and to this
  // process's Date; ICU names the empty one 'Etc/Unknown', which no zone lookup takes, and the
  // other none at all.
  if (env.TZ === '') return 'UTC';
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone as string | undefined;
  return zone && zone !== 'Etc/Unknown' ? zone : 'UTC';
}

/** The zone of schedules without one (--time-zone): the controller-manager reads them in its own, on a node this host's. */
export function localTimeZone(given: string | undefined): string {
  if (given === undefined) return hostTimeZone();
  if (!knownZone(given)) throw new UsageError(`--time-zone '${given}' is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  return given;
}
