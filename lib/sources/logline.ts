/** One log entry as the checks see it, whatever it was read from. */
export interface LogLine {
  /** Milliseconds since the epoch, when the line says. */
  time?: number;
  host?: string;
  /** Syslog identifier, e.g. microk8s.daemon-k8s-dqlite. */
  ident?: string;
  message: string;
  /** The line was longer than the line limit and only its two ends were kept. */
  cut?: boolean;
  /** How many log entries this line stands for: rsyslog folds repeats into one line. */
  repeat?: number;
  /** The line starts with a time stamp that could not be read: its time is unknown, not now. */
  badStamp?: boolean;
}

/** How many entries a line counts for. */
export const weight = (line: LogLine): number => line.repeat ?? 1;

const SHORT_UNIX = /^(\d+(?:\.\d+)?) (\S+) ([^\s[]+)(?:\[\d+\])?: ?(.*)$/s;
// "Nov 28 02:10:39", "Nov  8 02:10:39.123456" (short, short-precise, syslog), in any language's
// month abbreviation; the month is looked up below.
const SYSLOG = /^(\p{L}{3,5}\.?) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (.*)$/su;
// short-iso, short-iso-precise: "2024-11-23T06:08:12+0000", "...12.123456+00:00".
const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)? (.*)$/s;
// short-full: "Sat 2024-11-23 06:08:12 UTC" (the zone as the host's abbreviation).
const FULL = /^\p{L}{2,4}\.? (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d+)? (\S+) (.*)$/su;
// A syslog identifier: starts with a letter, no colon (a klog time "06:08:12" is not one).
const IDENT = /^([A-Za-z][\w.@-]*)(?:\[\d+\])?: ?(.*)$/s;
const HOST_IDENT = /^(\S+) ([A-Za-z][\w.@-]*)(?:\[\d+\])?: ?(.*)$/s;
// A pasted line that lost its stamp but kept "microk8s.daemon-kubelite[53319]: ".
const BARE_IDENT = /^([A-Za-z][\w.@-]*)\[\d+\]: ?(.*)$/s;
const REPEATED = /^message repeated (\d+) times?: \[ ?(.*?) ?\]$/s;

// Month abbreviations as journalctl prints them under the common locales (C, de, fr, es, it,
// nl, pt, sv, da, no, pl, ru, uk: glibc's abmon, some a whole word, as fr 'avril' and nb 'juni'),
// lower case, without a trailing dot.
const MONTH_NAMES: string[][] = [
  ['jan', 'ene', 'gen', 'janv', 'sty', 'янв', 'січ'],
  ['feb', 'fév', 'févr', 'fev', 'lut', 'фев', 'лют'],
  ['mar', 'mär', 'mars', 'mrt', 'мар', 'бер'],
  ['apr', 'avr', 'avril', 'april', 'abr', 'kwi', 'апр', 'кві'],
  ['may', 'mai', 'mag', 'mei', 'maj', 'мая', 'май', 'тра'],
  ['jun', 'juni', 'juin', 'giu', 'cze', 'июн', 'чер'],
  ['jul', 'juli', 'juil', 'lug', 'lip', 'июл', 'лип'],
  ['aug', 'août', 'ago', 'sie', 'авг', 'сер'],
  ['sep', 'sept', 'set', 'wrz', 'сен', 'вер'],
  ['oct', 'okt', 'ott', 'out', 'paź', 'окт', 'жов'],
  ['nov', 'lis', 'ноя', 'лис'],
  ['dec', 'dez', 'déc', 'dic', 'des', 'gru', 'дек', 'гру'],
];
const MONTHS = new Map(MONTH_NAMES.flatMap((names, month) => names.map((n) => [n, month] as const)));

/** A line of `journalctl -o short-unix`: "<epoch.usec> <host> <ident>[<pid>]: <message>". */
export function parseShortUnix(line: string): LogLine | undefined {
  const m = SHORT_UNIX.exec(line);
  if (!m) return undefined;
  return { time: Number(m[1]) * 1000, host: m[2], ident: m[3], message: m[4]! };
}

/**
 * A line of plain text: journalctl's short, short-precise, short-iso(-precise), short-full or
 * short-unix output, or syslog, with or without the host, or a bare message; rsyslog's "message
 * repeated N times: [...]" stands for N entries. Stamps without a year or zone are read in local
 * time (as journalctl prints them) in the year that puts them not after `now`. A stamp in a
 * month name no table here knows is marked badStamp: its time is unknown, never "now".
 */
export function parseTextLine(line: string, now: number): LogLine {
  const parsed = parseStamp(line, now);
  const m = REPEATED.exec(parsed.message);
  return m ? { ...parsed, message: m[2]!, repeat: Number(m[1]) } : parsed;
}

function parseStamp(line: string, now: number): LogLine {
  if (/^\d{9,}\.\d+ /.test(line)) {
    const unix = parseShortUnix(line);
    if (unix) return unix;
  }
  let m = SYSLOG.exec(line);
  if (m) {
    const month = MONTHS.get(m[1]!.toLowerCase().replace(/\.$/, ''));
    if (month === undefined) return { badStamp: true, ...splitSource(m[6]!) };
    const year = new Date(now).getFullYear();
    const at = (y: number) => new Date(y, month, Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5])).getTime();
    let time = at(year);
    if (time > now + 86_400_000) time = at(year - 1);
    return { time, ...splitSource(m[6]!) };
  }
  m = ISO.exec(line);
  if (m) {
    const zone = m[2] ? (m[2] === 'Z' ? 'Z' : m[2].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2')) : '';
    const time = Date.parse(m[1]! + zone);
    if (!Number.isNaN(time)) return { time, ...splitSource(m[3]!) };
  }
  m = FULL.exec(line);
  if (m) {
    const zone = m[3]!;
    // UTC and numeric offsets are exact; another abbreviation is the host's own zone, local time.
    const suffix = /^(UTC|GMT|Z)$/i.test(zone) ? 'Z' : /^[+-]\d\d:?\d\d$/.test(zone) ? zone.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2') : '';
    const time = Date.parse(`${m[1]}T${m[2]}${suffix}`);
    if (!Number.isNaN(time)) return { time, ...splitSource(m[4]!) };
  }
  m = BARE_IDENT.exec(line);
  if (m) return { ident: m[1], message: m[2]! };
  return { message: line };
}

function splitSource(rest: string): Omit<LogLine, 'time'> {
  let m = IDENT.exec(rest);
  if (m) return { ident: m[1], message: m[2]! };
  m = HOST_IDENT.exec(rest);
  if (m) return { host: m[1], ident: m[2], message: m[3]! };
  return { message: rest };
}

/** journalctl's own notices ("-- No entries --", "-- Boot ... --") are not log lines. */
export function isJournalNotice(line: string): boolean {
  return line.startsWith('-- ') && line.endsWith(' --');
}
