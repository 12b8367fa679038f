// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as jobs from '../../../checks/stale-jobs.ts';
import { freshTally, tallyJob } from '../../../lib/finished-jobs.ts';
import { job as apiJob } from '../../apiserver/objects.ts';
import { State } from '../../../lib/plugin/state.ts';
import { r, perf } from './helpers.ts';

describe('stale-jobs', () => {
  const tally = (complete: number, failed: number) => ({
    jobs: complete + failed + 5,
    cron: 1,
    noTtl: complete,
    byNamespace: new Map([['batch', { complete, failed }]]),
  });

  it('few finished Jobs are OK, with the scope in the summary', () => {
    const o = jobs.evaluate(
      { tally: tally(3, 1), scope: { only: [], excluded: ['kube-system'] } },
      { minAgeMs: 3600_000, warning: r('50'), critical: r('200') },
    );
    expect([o.state, o.summary]).toEqual([State.OK, '4 finished Jobs older than 1h outside kube-system (3 Complete, 1 Failed, of 9 Jobs)']);
    // Below -w nothing asks for a clean-up; with none finished there is nothing to say at all.
    expect(o.details.join('\n')).not.toContain('delete job');
    const none = jobs.evaluate({ tally: freshTally(), scope: { only: [], excluded: [] } }, jobs.defaultLimits);
    expect([none.state, none.summary, none.details]).toEqual([
      State.OK,
      '0 finished Jobs older than 1h in all namespaces (0 Complete, 0 Failed, of 0 Jobs)',
      [],
    ]);
  });

  it('a TTL of 0 the TTL controller has not acted on is a TTL; only a CronJob that controls a Job keeps it in its history', () => {
    const now = Date.now();
    const t = freshTally(now);
    // A frozen controller-manager deletes none: a Job with ttlSecondsAfterFinished 0 stays too.
    const zero = apiJob({ namespace: 'ops', name: 'migrate-7f3k2', state: 'complete', finishedAgo: 7200, ttl: 0 });
    // Tied to a CronJob for garbage collection only (no controller: true): its history limits never count it.
    const tied = apiJob({ namespace: 'ops', name: 'nightly-manual-x8d2q', state: 'complete', finishedAgo: 7200 });
    Object.assign(tied.metadata, {
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: '0f2d6c3e-5b1a-4c8e-9d7f-2a6b4e8c1d3f', blockOwnerDeletion: true },
      ],
    });
    const kept = apiJob({ namespace: 'ops', name: 'nightly-29383560', state: 'failed', finishedAgo: 7200, cronJob: 'nightly' });
    for (const j of [zero, tied, kept]) tallyJob(t, j, now, 3600);
    const o = jobs.evaluate({ tally: t, scope: { only: [], excluded: [] } }, { ...jobs.defaultLimits, warning: r('0') });
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '3 finished Jobs older than 1h in all namespaces (2 Complete, 1 Failed, of 3 Jobs)',
    ]);
    expect(o.details).toContain(
      '1 belongs to CronJobs (successfulJobsHistoryLimit/failedJobsHistoryLimit keep them). ' +
        '2 have no ttlSecondsAfterFinished (never cleaned up).',
    );
  });

  it('only a True Complete or Failed condition finishes a Job: one that reads False is not counted', () => {
    const now = Date.parse('2026-11-28T03:00:00Z');
    const at = new Date(now - 2 * 3600_000).toISOString();
    const job = (name: string, type: string, status: string) => ({
      metadata: { namespace: 'batch', name },
      status: { conditions: [{ type, status, lastTransitionTime: at }] },
    });
    const t = freshTally();
    for (const j of [job('a', 'Complete', 'False'), job('b', 'Failed', 'False'), job('c', 'Complete', 'True')]) tallyJob(t, j, now, 3600);
    const o = jobs.evaluate({ tally: t, scope: { only: [], excluded: [] } }, { minAgeMs: 3600_000, warning: r('0'), critical: r('200') });
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '1 finished Job older than 1h in all namespaces (1 Complete, 0 Failed, of 3 Jobs)',
    ]);
    expect(perf(o)).toMatchObject({ stale: '1;0;200;0' });
  });

  it('past -c is CRITICAL and the clean-up names the worst namespace', () => {
    const o = jobs.evaluate(
      { tally: tally(250, 10), scope: { only: [], excluded: [] } },
      { minAgeMs: 3600_000, warning: r('50'), critical: r('200') },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.details.join('\n')).toMatch(/kubectl -n batch delete job/);
    expect(perf(o)).toMatchObject({ stale: '260;50;200;0', complete: '250;;;0', failed: '10;;;0' });
  });

  it("the clean-up takes only what was counted: finished by the list's time less --min-age, with the check's -l", () => {
    const at = Date.parse('2026-06-01T12:00:00.750Z');
    const o = jobs.evaluate(
      { tally: { ...tally(60, 0), at }, scope: { only: [], excluded: [], selector: 'app in (backup,restore)' } },
      { minAgeMs: 3600_000, warning: r('50'), critical: r('200') },
    );
    const text = o.details.join('\n');
    expect(text).toContain("kubectl -n batch get jobs -l 'app in (backup,restore)' -o go-template=");
    expect(text).toContain('{{if le $t "2026-06-01T11:00:00Z"}}{{$j.metadata.name}} {{end}}');
    expect(text).toMatch(/^ {2}kubectl -n batch delete job \$\(kubectl -n batch get jobs -l 'app in \(backup,restore\)' /m);
    expect(text).not.toContain('|');
  });

  it('long output lists the namespaces worst first, and the clean-up names the worst', () => {
    const o = jobs.evaluate(
      {
        tally: {
          jobs: 90,
          cron: 0,
          noTtl: 90,
          byNamespace: new Map([
            ['a-few', { complete: 2, failed: 0 }],
            ['ci', { complete: 70, failed: 5 }],
            ['ops', { complete: 10, failed: 3 }],
          ]),
        },
        scope: { only: [], excluded: [] },
      },
      { minAgeMs: 3600_000, warning: r('50'), critical: r('200') },
    );
    expect(o.state).toBe(State.WARNING);
    expect(o.details.slice(0, 3)).toEqual([
      'ci: 75 finished over 1h ago (70 Complete, 5 Failed)',
      'ops: 13 finished over 1h ago (10 Complete, 3 Failed)',
      'a-few: 2 finished over 1h ago (2 Complete, 0 Failed)',
    ]);
    expect(o.details.join('\n')).toMatch(/^ {2}kubectl -n ci delete job /m);
  });

  it('the five worst namespaces by finished Jobs, Complete and Failed together; the sixth is left out', () => {
    const byNamespace = new Map([
      ['ci', { complete: 70, failed: 5 }],
      ['nightly', { complete: 0, failed: 90 }],
      ['ops', { complete: 10, failed: 3 }],
      ['data', { complete: 8, failed: 0 }],
      ['web', { complete: 6, failed: 0 }],
      ['a-few', { complete: 2, failed: 0 }],
    ]);
    const o = jobs.evaluate(
      { tally: { jobs: 200, cron: 0, noTtl: 194, byNamespace }, scope: { only: [], excluded: [] } },
      jobs.defaultLimits,
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '194 finished Jobs older than 1h in all namespaces (96 Complete, 98 Failed, of 200 Jobs)',
    ]);
    expect(o.details.slice(0, 6)).toEqual([
      'nightly: 90 finished over 1h ago (0 Complete, 90 Failed)',
      'ci: 75 finished over 1h ago (70 Complete, 5 Failed)',
      'ops: 13 finished over 1h ago (10 Complete, 3 Failed)',
      'data: 8 finished over 1h ago (8 Complete, 0 Failed)',
      'web: 6 finished over 1h ago (6 Complete, 0 Failed)',
      '0 belong to CronJobs (successfulJobsHistoryLimit/failedJobsHistoryLimit keep them). ' +
        '194 have no ttlSecondsAfterFinished (never cleaned up).',
    ]);
    expect(o.details.join('\n')).toMatch(/^ {2}kubectl -n nightly delete job /m);
  });
});
