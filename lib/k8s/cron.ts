// A CronJob's schedule read the way Kubernetes' cronjob controller reads it: the controller hands
// the schedule to robfig/cron v3's ParseStandard, prefixed with `TZ=<spec.timeZone> ` unless the
// schedule already names a zone (then spec.timeZone is ignored and a warning event is raised).
// ParseStandard takes an optional `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix, five fields, the
// descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly, and `@every <Go
// duration>`, whose runs are counted from the last one (the controller passes lastScheduleTime,
// or the creation time) rather than fixed to the clock.
import type { CronExpressionParser } from 'cron-parser';
import { ReasonedError } from '../errors.ts';
import { isUtc, knownZone } from './time-zone.ts';

export class ScheduleError extends ReasonedError {
  override readonly name = 'ScheduleError';
}

let parser: typeof CronExpressionParser | undefined;

/**
 * cron-parser, and the date library it brings (luxon, 100 KB), loaded once CronJobs are there to
 * be judged, after the list, never before the first request leaves (check_cronjobs and every
 * `all`, on clusters without a CronJob too). Five-field schedules need it loaded first (readSchedule).
 */
export async function loadScheduleReader(): Promise<void> {
  if (parser) return;
  const m = await import('cron-parser');
  // A CommonJS package: bundled, its exports object is the namespace's default; Node also lifts them out.
  parser = m.CronExpressionParser ?? (m.default as unknown as typeof m).CronExpressionParser;
}

/** A schedule as the controller runs it. */
export interface Schedule {
  /** The first run due strictly after `t` (ms since the epoch). */
  next(t: number): number;
  /** The time zone its fields are read in; undefined for @every, which has none. */
  zone?: string;
}

// robfig/cron's descriptors, as five-field expressions (cron-parser lacks @midnight and takes
// others, @weekdays and the like, that Kubernetes does not).
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// Go's time.ParseDuration units, in milliseconds.
const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_ELEMENT = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy;

/** Go's time.ParseDuration ("1h30m", "90s", "1.5h", "0"), in milliseconds; throws on anything else. */
export function goDuration(text: string): number {
  const sign = /^[-+]/.test(text) ? text.slice(0, 1) : '';
  const body = text.slice(sign.length);
  if (body === '0') return 0;
  let ms = 0;
  let at = 0;
  GO_ELEMENT.lastIndex = 0;
  for (let m = GO_ELEMENT.exec(body); m; m = GO_ELEMENT.exec(body)) {
    ms += Number(m[1]) * GO_UNITS[m[2]!]!;
    at = GO_ELEMENT.lastIndex;
  }
  if (!body || at !== body.length) throw new ScheduleError(`'${text}' is not a Go duration (e.g. 5m, 1h30m, 90s)`);
  return sign === '-' ? -ms : ms;
}

function checkZone(zone: string): string {
  if (!knownZone(zone))
    throw new ScheduleError(`time zone '${zone}' is not known here`, { fix: "check the zone name, or this host's tzdata" });
  return zone;
}

// Read schedules, by schedule, zone and local zone: a cluster's CronJobs share a few schedules, and
// reading one (cron-parser, the zone's ICU data) costs far more than judging a CronJob by it.
const read = new Map<string, Schedule | ScheduleError>();

/**
 * The schedule of a CronJob: its spec.schedule, its spec.timeZone, and the zone the
 * controller-manager runs in (used when neither names one). Throws ScheduleError on a schedule
 * the controller could not run either. Each is read once and kept.
 */
export function readSchedule(schedule: string, timeZone: string | undefined, localZone: string): Schedule {
  const key = JSON.stringify([schedule, timeZone ?? null, localZone]);
  let kept = read.get(key);
  if (!kept) {
    try {
      kept = parseSchedule(schedule, timeZone, localZone);
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      kept = err;
    }
    read.set(key, kept);
  }
  if (kept instanceof ScheduleError) throw kept;
  return kept;
}

function parseSchedule(schedule: string, timeZone: string | undefined, localZone: string): Schedule {
  let spec = schedule.trim();
  let zone = localZone;
  // As the controller: a schedule that mentions TZ at all is taken as it is, spec.timeZone ignored.
  if (!schedule.includes('TZ') && timeZone) zone = timeZone;
  const prefix = /^(?:CRON_)?TZ=(\S+)\s+/.exec(spec);
  if (prefix) {
    zone = prefix[1]!;
    spec = spec.slice(prefix[0].length).trim();
  } else if (/^(?:CRON_)?TZ=/.test(spec)) {
    throw new ScheduleError(`'${schedule}' names a time zone and no schedule`);
  }
  if (spec.startsWith('@every ')) {
    // robfig's Every: at least a second, whole seconds; the next run is counted from the last.
    const delay = Math.max(1000, Math.floor(goDuration(spec.slice(7).trim()) / 1000) * 1000);
    return { next: (t) => Math.floor(t / 1000) * 1000 + delay };
  }
  const fields = spec.startsWith('@') ? DESCRIPTORS[spec] : spec;
  if (fields === undefined) throw new ScheduleError(`'${spec}' is not a descriptor Kubernetes takes`);
  // A sixth field would be read as seconds by cron-parser; Kubernetes takes exactly five.
  if (fields.split(/\s+/).length !== 5) throw new ScheduleError(`'${spec}' is not a five-field cron schedule`);
  checkZone(zone);
  if (!parser) throw new Error('the schedule reader is not loaded (loadScheduleReader)');
  let expression: ReturnType<typeof CronExpressionParser.parse>;
  try {
    expression = parser.parse(robfigStars(fields), { tz: isUtc(zone) ? 'UTC' : zone });
  } catch (err) {
    // A day the months named never have (`0 0 31 2 *`, a CronJob kept from running by date):
    // robfig/cron takes it (each field in its range) and never finds a run, so it never falls due.
    if (/day of month/i.test((err as Error).message) && inRange(fields)) return { zone, next: () => Infinity };
    throw new ScheduleError(`'${spec}' is not a cron schedule (${(err as Error).message})`, { cause: err });
  }
  const hours = new Set<number>(expression.fields.hour.values);
  const minutes = new Set<number>(expression.fields.minute.values);
  // One parsed expression, moved to each time asked about (next() is synchronous: no one else moves it meanwhile).
  return {
    zone,
    next: (t) => {
      expression.reset(new Date(t));
      // A time the clock skips (02:30 on a spring-forward night) is moved by cron-parser to just
      // after the change; robfig/cron counts whole hours on the clock and steps over it, so the
      // controller never runs it. Such a run, not at a wall-clock time the schedule names, is passed.
      // Each minute of the skipped hour (`* 2 * * *`) comes out moved: a day's minutes bound the steps.
      for (let step = 0; ; step++) {
        const run = expression.next();
        if ((hours.has(run.getHours()) && minutes.has(run.getMinutes())) || step === 1440) return run.getTime();
      }
    },
  };
}

// The day-of-month and day-of-week fields as robfig/cron reads them: a part `*` or `?`, also with
// the step 1 (`*/1`), makes the field a star, and a star in either one means both must match
// (`0 0 */1 * 1`: Mondays only). cron-parser takes `*/1` as a list of every day, and a list in
// both as either matching (every day): written `*`, it reads the field as robfig/cron does.
function robfigStars(fields: string): string {
  const f = fields.split(/\s+/);
  for (const i of [2, 4]) if (f[i]!.split(',').some((part) => /^[*?](?:\/0*1)?$/.test(part))) f[i] = '*';
  return f.join(' ');
}

/**
 * Whether the day-of-month and month fields are ones robfig/cron takes: days as numbers 1-31
 * (lists, ranges, steps; not cron-parser's L or W), months as numbers 1-12 or their names
 * (jan-dec), in lists, ranges and steps. Such a schedule parses there even when no month named
 * has the day named; cron-parser, which refused it, has read the fields' syntax already.
 */
function inRange(fields: string): boolean {
  const [, , day, month] = fields.split(/\s+/);
  const within = (part: string, max: number, names = false) => {
    const m = (names ? /^(\d+|[a-z]{3})(?:-(\d+|[a-z]{3}))?(?:\/\d+)?$/i : /^(\d+)(?:-(\d+))?(?:\/\d+)?$/).exec(part);
    return m !== null && [m[1], m[2]].every((v) => v === undefined || !/^\d/.test(v) || (Number(v) >= 1 && Number(v) <= max));
  };
  return day!.split(',').every((p) => within(p, 31)) && month!.split(',').every((p) => within(p, 12, true));
}
