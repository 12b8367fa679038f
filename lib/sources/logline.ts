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
}

const SHORT_UNIX = /^(\d+(?:\.\d+)?) (\S+) ([^\s[]+)(?:\[\d+\])?: ?(.*)$/s;
const SYSLOG = /^([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (.*)$/s;
const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)? (.*)$/s;
const IDENT = /^([^\s[]+)(?:\[\d+\])?: ?(.*)$/s;
const HOST_IDENT = /^(\S+) ([^\s[]+)(?:\[\d+\])?: ?(.*)$/s;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** A line of `journalctl -o short-unix`: "<epoch.usec> <host> <ident>[<pid>]: <message>". */
export function parseShortUnix(line: string): LogLine | undefined {
  const m = SHORT_UNIX.exec(line);
  if (!m) return undefined;
  return { time: Number(m[1]) * 1000, host: m[2], ident: m[3], message: m[4]! };
}

/**
 * A line of plain text: journalctl's default "short" or "short-iso" output or syslog, with or
 * without the host, or a bare message. Syslog stamps carry no year or zone: they are read in
 * local time (as journalctl prints them) in the year that puts them not after `now`.
 */
export function parseTextLine(line: string, now: number): LogLine {
  let m = SYSLOG.exec(line);
  if (m && MONTHS[m[1]!] !== undefined) {
    const month = MONTHS[m[1]!]!;
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
