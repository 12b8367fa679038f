// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as cronjobs from '../../../checks/cronjobs.ts';
import { loadScheduleReader } from '../../../lib/k8s/cron.ts';
import { type CronJobFacts, cronJobRuns } from '../../../lib/k8s/cronjob.ts';
import { State } from '../../../lib/plugin/state.ts';
import { r, perf } from './helpers.ts';

// As check_cronjobs does once it has CronJobs to judge.
await loadScheduleReader();

describe('cronjobs', () => {
  const T = Date.parse('2026-11-28T12:40:30Z');
  const job = (o: Partial<CronJobFacts>): CronJobFacts => ({
    namespace: 'ops',
    name: 'j',
    schedule: '*/5 * * * *',
    suspended: false,
    created: T - 86_400_000,
    active: [],
    ...o,
  });
  // Last scheduled at `iso`, and that run succeeded.
  const ran = (iso: string) => ({ lastSchedule: Date.parse(iso), lastSuccess: Date.parse(iso) + 60_000 });

  it('late past --grace and startingDeadlineSeconds; never scheduled counts from creation; suspended is skipped', () => {
    const j = cronJobRuns(
      [
        job({ name: 'late', lastSchedule: T - 2400_000 }),
        job({ name: 'slack', lastSchedule: T - 600_000, startingDeadlineSeconds: 600 }),
        job({ name: 'new', created: T - 60_000 }),
        job({ name: 'never', created: T - 3600_000 }),
        job({ name: 'off', suspended: true, lastSchedule: T - 86_400_000 }),
      ],
      T,
      180,
      'UTC',
    );
    expect(j.late.map((l) => l.job.name)).toEqual(['late', 'never']);
    expect(j.judged).toBe(4);
  });

  it('Forbid with a Job running is busy, not late; past its next run it is named; busy ones are no frozen controller', () => {
    const busy = { concurrencyPolicy: 'Forbid', active: ['backup-29406720'] };
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'late', lastSchedule: T - 2400_000, lastSuccess: T - 2390_000 }),
          job({ name: 'backup', schedule: '0 * * * *', lastSchedule: T - 2 * 3600_000 - 2430_000, ...busy }),
          job({ name: 'fresh', schedule: '0 * * * *', lastSchedule: T - 2430_000, ...busy }),
        ],
        now: T,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      "1 of 3 CronJobs late: ops/late (2 busy), Job running longer than its schedule's period: ops/backup",
    ]);
    expect(perf(o)).toMatchObject({ late: '1;0;;0;3', busy: '2;;;0;3' });
    expect(o.details).toContain(
      'busy ops/backup (0 * * * *): Job backup-29406720 still active, last scheduled 2h40m ago, ' +
        'a run was due 1h40m ago. concurrencyPolicy Forbid holds runs back until it ends: kubectl ' +
        '-n ops describe job backup-29406720',
    );
    // Allow (the default) with a Job running is judged as any other.
    expect(cronJobRuns([job({ lastSchedule: T - 2400_000, active: ['j-1'] })], T, 180, 'UTC').late).toHaveLength(1);
    // So is Replace: the controller would have replaced the running Job at the run due.
    const replace = cronjobs.evaluate(
      { jobs: [job({ lastSchedule: T - 2400_000, concurrencyPolicy: 'Replace', active: ['j-1'] })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([replace.state, replace.summary]).toEqual([State.WARNING, '1 of 1 CronJob late: ops/j']);
  });

  it('every CronJob that should have run late is CRITICAL: a busy one and one ahead of this clock do not stand against it', () => {
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'a', lastSchedule: T - 3600_000 }),
          job({ name: 'b', lastSchedule: T - 7200_000 }),
          // On time: its hourly Job started at 12:00 and runs, the next run is due at 13:00.
          job({ name: 'backup', schedule: '0 * * * *', lastSchedule: T - 2430_000, concurrencyPolicy: 'Forbid', active: ['backup-1'] }),
          job({ name: 'skewed', lastSchedule: T + 7200_000 }),
        ],
        now: T,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /^2 of 4 CronJobs late: ops\/a, ops\/b \(1 busy\), no CronJob was scheduled on time: is the controller-manager frozen\?/,
    );
    expect(o.details).toContainEqual(expect.stringMatching(/^Stale kcm informer cache: find the leader's node, /));
  });

  it("one late while others were scheduled on time: the controller-manager runs, so its events, not the kcm leader's restart", () => {
    // A stale informer cache stops every CronJob alike; one alone late is its own (a Job the controller could not
    // create leaves lastScheduleTime where it was, with a FailedCreate event). A kubelite restart there feeds writes for nothing.
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'late', ...ran('2026-11-28T12:00:00Z') }),
          job({ name: 'a', ...ran('2026-11-28T12:40:00Z') }),
          job({ name: 'b', ...ran('2026-11-28T12:40:00Z') }),
        ],
        now: T,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '1 of 3 CronJobs late: ops/late']);
    expect(o.details.join('\n')).not.toContain('Stale kcm informer cache');
    expect(o.details).toContain('Why it was not scheduled, in its events (FailedCreate, ...): kubectl -n ops describe cronjob late');
  });

  it('--grace defaults to 3m: a */5 run due 4 minutes ago is late, one due 2 minutes ago is not yet', () => {
    // Last scheduled at 12:30, the next run was due at 12:35.
    const at = (now: string) =>
      cronjobs.evaluate(
        { jobs: [job({ ...ran('2026-11-28T12:30:00Z') })], now: Date.parse(now), localZone: 'UTC' },
        cronjobs.defaultLimits,
      );
    const late = at('2026-11-28T12:39:00Z');
    expect([late.state, late.summary]).toEqual([State.WARNING, '1 of 1 CronJob late: ops/j']);
    const within = at('2026-11-28T12:37:00Z');
    expect([within.state, within.summary]).toEqual([State.OK, '0 of 1 CronJob late']);
  });

  it('Forbid with no Job running holds nothing back: a run it missed is late, and it is not busy', () => {
    const o = cronjobs.evaluate(
      { jobs: [job({ name: 'backup', concurrencyPolicy: 'Forbid', ...ran('2026-11-28T12:00:00Z') })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '1 of 1 CronJob late: ops/backup']);
    expect(perf(o)).toMatchObject({ late: '1;0;;0;1', busy: '0;;;0;1' });
  });

  it('a CronJob scheduled whose Job never succeeded (no lastSuccessfulTime), none running: its last Job failed', () => {
    const o = cronjobs.evaluate(
      { jobs: [job({ name: 'migrate', lastSchedule: Date.parse('2026-11-28T12:35:00Z') })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '0 of 1 CronJob late, last Job failed: ops/migrate']);
    expect(perf(o).failed_last).toBe('1;;;0;1');
  });

  it('resumed (spec written since its last run): the run the controller starts on resuming is due; one past its deadline is not', () => {
    // Hourly, last run 3 days ago, then suspended; `kubectl patch ... suspend: false` at 12:30, judged at 12:55.
    const now = Date.parse('2026-11-28T12:55:00Z');
    const resumed = (name: string, startingDeadlineSeconds?: number) =>
      job({
        name,
        schedule: '0 * * * *',
        ...ran('2026-11-25T12:00:00Z'),
        specChanged: Date.parse('2026-11-28T12:30:00Z'),
        startingDeadlineSeconds,
      });
    const o = cronjobs.evaluate(
      {
        jobs: [
          // No deadline: the controller starts the newest run it missed (12:00) as it resumes; none started, late.
          resumed('nodeadline'),
          // 12:00 was within 2700 s of 12:30: started as it resumes too; none started, late past 12:48.
          resumed('hour', 2700),
          // 12:00 was past 600 s at 12:30 (MissSchedule): 13:00 is the first run due, not late before 13:13.
          resumed('tenmin', 600),
        ],
        now,
        localZone: 'UTC',
      },
      cronjobs.defaultLimits,
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '2 of 3 CronJobs late: ops/nodeadline, ops/hour']);
    expect(perf(o).late).toBe('2;0;;0;3');
  });

  it('successfulJobsHistoryLimit 0: its last Job judged from Kubernetes 1.31 on (MicroK8s 1.31), not judged on 1.30', () => {
    // Scheduled at 12:35, no success recorded since 11:35, none running.
    const limit0 = job({
      name: 'backup',
      lastSchedule: Date.parse('2026-11-28T12:35:00Z'),
      lastSuccess: Date.parse('2026-11-28T11:35:00Z'),
    });
    const on = (gitVersion: string, minor: number) =>
      cronjobs.evaluate(
        { jobs: [{ ...limit0, successfulJobsHistoryLimit: 0 }], now: T, localZone: 'UTC', server: { gitVersion, minor } },
        cronjobs.defaultLimits,
      );
    const v131 = on('v1.31.14', 31);
    expect([v131.state, v131.summary]).toEqual([State.WARNING, '0 of 1 CronJob late, last Job failed: ops/backup']);
    const v130 = on('v1.30.14', 30);
    expect([v130.state, v130.summary]).toEqual([State.OK, '0 of 1 CronJob late']);
    expect(v130.details).toContain(
      'ops/backup: last Job not judged: successfulJobsHistoryLimit 0 deletes a Job that succeeded before lastSuccessfulTime is set ' +
        '(Kubernetes before 1.31; this API server is v1.30.14): its success leaves no trace',
    );
  });

  it('reads CRON_TZ=/TZ= prefixes and @every as Kubernetes does', () => {
    const j = cronJobRuns(
      [
        // 03:00 in Tokyo is 18:00 UTC the day before: last run 2026-11-27T18:00Z, next tomorrow.
        job({ name: 'tokyo', schedule: 'CRON_TZ=Asia/Tokyo 0 3 * * *', lastSchedule: Date.parse('2026-11-27T18:00:00Z') }),
        job({ name: 'every45', schedule: '@every 45m', lastSchedule: T - 2400_000 }),
        job({ name: 'every30', schedule: '@every 30m', lastSchedule: T - 2400_000 }),
      ],
      T,
      180,
      'UTC',
    );
    expect(j.late.map((l) => l.job.name)).toEqual(['every30']);
    expect(j.late[0]!.due).toBe(T - 600_000);
    expect(j.unreadable).toEqual([]);
  });

  it('a lastScheduleTime ahead of this clock by less than --grace (clocks a little apart) is judged as any other', () => {
    const o = cronjobs.evaluate(
      { jobs: [job({ lastSchedule: T + 30_000, lastSuccess: T + 40_000 })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.OK, '0 of 1 CronJob late']);
  });

  it('a lastScheduleTime ahead of this clock is said, WARNING, and not judged late', () => {
    const o = cronjobs.evaluate(
      { jobs: [job({ name: 'skewed', lastSchedule: T + 7200_000 })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.WARNING, '0 of 1 CronJob late, last scheduled in the future: ops/skewed']);
    expect(o.details[0]).toMatch(/^ops\/skewed: lastScheduleTime 2026-11-28T14:40:30Z is 2h ahead of this host's clock/);
  });

  it('one unreadable schedule is UNKNOWN for that one only: the others still decide, CRITICAL wins', () => {
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'a', lastSchedule: T - 3600_000 }),
          job({ name: 'b', lastSchedule: T - 7200_000 }),
          job({ name: 'odd', schedule: 'TZ=Mars/Olympus_Mons 0 * * * *', lastSchedule: T }),
        ],
        now: T,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(
      /^2 of 3 CronJobs late: ops\/a, ops\/b, no CronJob was scheduled on time.*, ops\/odd: cannot read its schedule/,
    );
  });

  it('a day its months never have (0 0 31 2 *, a CronJob kept from running by date) never falls due: OK, not unreadable', () => {
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'never', schedule: '0 0 31 2 *', created: T - 400 * 86_400_000 }),
          job({ name: 'never2', schedule: '0 0 30,31 2 *', lastSchedule: T - 400 * 86_400_000, lastSuccess: T - 400 * 86_400_000 }),
          // Month names and steps, which robfig/cron takes as the controller does.
          job({ name: 'never3', schedule: '0 0 30 FEB *', created: T - 400 * 86_400_000 }),
          job({ name: 'never4', schedule: '0 0 31 4-6/2 ?', created: T - 400 * 86_400_000 }),
        ],
        now: T,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect(o.state).toBe(State.OK);
    expect(o.summary).toMatch(/^0 of 4 CronJobs late/);
    // Out of range is still no schedule, as for the controller.
    const bad = cronjobs.evaluate(
      { jobs: [job({ name: 'odd', schedule: '0 0 32 2 *', lastSchedule: T })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect(bad.state).toBe(State.UNKNOWN);
  });

  it("a run in the hour a clock change skips never comes (robfig/cron's Next steps over it): not late on that day", () => {
    // Europe/Berlin springs from 02:00 to 03:00 on 2027-03-28: the nightly 02:30 run of that day never falls due.
    const now = Date.parse('2027-03-28T06:00:00Z');
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'nightly', schedule: '30 2 * * *', timeZone: 'Europe/Berlin', ...ran('2027-03-27T01:30:00Z') }),
          job({ name: 'two', schedule: 'CRON_TZ=Europe/Berlin 0 2 * * *', ...ran('2027-03-27T01:00:00Z') }),
          job({ name: 'quarters', schedule: '*/15 2 * * *', timeZone: 'Europe/Berlin', ...ran('2027-03-27T01:45:00Z') }),
        ],
        now,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.OK, '0 of 3 CronJobs late']);
    // The next day's run is judged again.
    const later = cronJobRuns(
      [job({ name: 'nightly', schedule: '30 2 * * *', timeZone: 'Europe/Berlin', lastSchedule: Date.parse('2027-03-27T01:30:00Z') })],
      Date.parse('2027-03-29T06:00:00Z'),
      180,
      'UTC',
    );
    expect(later.late.map((l) => new Date(l.due).toISOString())).toEqual(['2027-03-29T00:30:00.000Z']);
  });

  it('a day of the month written */1 is a star, as robfig/cron reads it: with a weekday, that weekday only', () => {
    // 2026-11-28 is a Saturday; the Monday-only run was last on the 23rd, the next is due on the 30th.
    const o = cronjobs.evaluate(
      {
        jobs: [
          job({ name: 'mondays', schedule: '0 0 */1 * 1', ...ran('2026-11-23T00:00:00Z') }),
          job({ name: 'firsts', schedule: '0 0 1 * ?/1', ...ran('2026-11-01T00:00:00Z') }),
        ],
        now: T,
        localZone: 'UTC',
      },
      { graceMs: 180_000, warning: r('0') },
    );
    expect([o.state, o.summary]).toEqual([State.OK, '0 of 2 CronJobs late']);
  });

  it('an unreadable schedule is UNKNOWN naming the CronJob', () => {
    const o = cronjobs.evaluate(
      { jobs: [job({ name: 'odd', schedule: '61 * * * *', lastSchedule: T })], now: T, localZone: 'UTC' },
      { graceMs: 180_000, warning: r('0') },
    );
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toMatch(/ops\/odd: cannot read its schedule/);
  });
});
