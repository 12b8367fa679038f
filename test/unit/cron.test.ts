import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goDuration, loadScheduleReader, readSchedule } from '../../lib/k8s/cron.ts';

// As check_cronjobs does once it has CronJobs to judge.
await loadScheduleReader();
import { hostTimeZone, knownZone } from '../../lib/k8s/time-zone.ts';

const T = Date.parse('2026-11-28T12:40:30Z');
const next = (schedule: string, t = T, timeZone?: string, local = 'UTC') =>
  new Date(readSchedule(schedule, timeZone, local).next(t)).toISOString();

describe('schedules as the cronjob controller reads them (robfig/cron v3 ParseStandard)', () => {
  it('five fields in the zone of spec.timeZone, else the local one; the next run strictly after', () => {
    expect(next('*/5 * * * *')).toBe('2026-11-28T12:45:00.000Z');
    expect(next('*/5 * * * *', Date.parse('2026-11-28T12:45:00Z'))).toBe('2026-11-28T12:50:00.000Z');
    expect(next('0 2 * * *', T, 'Europe/Berlin')).toBe('2026-11-29T01:00:00.000Z');
    expect(next('0 2 * * *', T, undefined, 'Europe/Berlin')).toBe('2026-11-29T01:00:00.000Z');
  });

  it('TZ= and CRON_TZ= prefixes name the zone, and then spec.timeZone is ignored', () => {
    expect(next('CRON_TZ=Asia/Tokyo 0 3 * * *')).toBe('2026-11-28T18:00:00.000Z');
    expect(next('TZ=America/New_York 30 6 * * 1-5')).toBe('2026-11-30T11:30:00.000Z');
    expect(next('TZ=Asia/Tokyo 0 3 * * *', T, 'Europe/Berlin')).toBe('2026-11-28T18:00:00.000Z');
    expect(next('CRON_TZ=Asia/Tokyo @daily')).toBe('2026-11-28T15:00:00.000Z');
    expect(() => readSchedule('TZ=Mars/Olympus_Mons 0 * * * *', undefined, 'UTC')).toThrow(/time zone 'Mars\/Olympus_Mons' is not known/);
    expect(() => readSchedule('CRON_TZ=UTC', undefined, 'UTC')).toThrow(/no schedule/);
  });

  it("robfig's descriptors; @every counts from the last run, in whole seconds, at least one", () => {
    expect(next('@midnight')).toBe('2026-11-29T00:00:00.000Z');
    expect(next('@hourly')).toBe('2026-11-28T13:00:00.000Z');
    // 2026-11-28 is a Saturday: @weekly is Sunday midnight; @monthly the 1st; @yearly and @annually January 1st.
    expect(next('@weekly')).toBe('2026-11-29T00:00:00.000Z');
    expect(next('@monthly')).toBe('2026-12-01T00:00:00.000Z');
    expect(next('@yearly')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@annually')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@every 5m')).toBe('2026-11-28T12:45:30.000Z');
    expect(next('@every 1h30m', Date.parse('2026-11-28T12:00:00.750Z'))).toBe('2026-11-28T13:30:00.000Z');
    expect(next('@every 1500ms')).toBe('2026-11-28T12:40:31.000Z');
    expect(next('@every 10ms')).toBe('2026-11-28T12:40:31.000Z');
    expect(() => readSchedule('@every 2d', undefined, 'UTC')).toThrow(/not a Go duration/);
    expect(() => readSchedule('@weekdays', undefined, 'UTC')).toThrow(/not a descriptor Kubernetes takes/);
    expect(() => readSchedule('0 */5 * * * *', undefined, 'UTC')).toThrow(/five-field/);
    expect(() => readSchedule('61 * * * *', undefined, 'UTC')).toThrow(/not a cron schedule/);
  });

  it("Go's time.ParseDuration", () => {
    expect([goDuration('5m'), goDuration('1h30m'), goDuration('1.5h'), goDuration('90s'), goDuration('0'), goDuration('-2s')]).toEqual([
      300_000, 5_400_000, 5_400_000, 90_000, 0, -2000,
    ]);
    expect(goDuration('250ms')).toBe(250);
    for (const bad of ['', '5', 'm', '1d', '5m ', '1h-2m']) expect(() => goDuration(bad)).toThrow(/not a Go duration/);
  });
});

describe("time zones looked up as ICU would, without ICU's data where it is not needed", () => {
  it("UTC's other names (tzdata's backward links) read schedules as UTC; an unknown zone is still refused", () => {
    for (const zone of ['Etc/UTC', 'Etc/Universal', 'Zulu', 'GMT', 'Etc/GMT-0'])
      expect(next('0 2 * * *', T, zone)).toBe('2026-11-29T02:00:00.000Z');
    expect(next('0 2 * * *', T, undefined, 'Etc/UTC')).toBe('2026-11-29T02:00:00.000Z');
    expect(knownZone('Etc/UTC')).toBe(true);
    expect(knownZone('Europe/Berlin')).toBe(true);
    expect(knownZone('Etc/UTC/Moon')).toBe(false);
  });

  it("this host's zone is where /etc/localtime links to in the zoneinfo tree; TZ set or no link asks ICU", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-tz-'));
    try {
      const link = join(dir, 'localtime');
      symlinkSync('/usr/share/zoneinfo/America/Argentina/Buenos_Aires', link);
      expect(hostTimeZone({}, link)).toBe('America/Argentina/Buenos_Aires');
      const icu = Intl.DateTimeFormat().resolvedOptions().timeZone;
      expect(hostTimeZone({ TZ: 'Asia/Tokyo' }, link)).toBe(icu);
      const copy = join(dir, 'copy');
      writeFileSync(copy, 'TZif');
      expect(hostTimeZone({}, copy)).toBe(icu);
      expect(hostTimeZone({}, join(dir, 'none'))).toBe(icu);
      // tzdata's posix/ and right/ trees name zones ICU does not take: a schedule read in one would be UNKNOWN.
      for (const tree of ['posix', 'right']) {
        const other = join(dir, tree);
        symlinkSync(`/usr/share/zoneinfo/${tree}/Asia/Tokyo`, other);
        expect(knownZone(`${tree}/Asia/Tokyo`)).toBe(false);
        expect(hostTimeZone({}, other)).toBe(icu);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
