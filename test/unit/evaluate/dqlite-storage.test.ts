// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as storage from '../../../checks/dqlite-storage.ts';
import { State } from '../../../lib/plugin/state.ts';
import { pattern } from '../../helpers/pattern.ts';
import { NOW, perf, r } from './helpers.ts';

describe('dqlite-storage', () => {
  const limits = { warning: r('50'), critical: r('150'), minIntervalSeconds: 300, freeWarning: 20, freeCritical: 10 };
  const MB = 1024 * 1024;
  const VOTER = { role: 'voter' as const };
  // The name's last number is milliseconds since boot (a machine up 25 minutes), never a date.
  const snap = (agoS: number, mb: number, index = 1_000_000 - agoS) => [
    { name: `snapshot-3-${index}-1492552`, size: mb * MB, mtime: NOW - agoS * 1000 },
    { name: `snapshot-3-${index}-1492552.meta`, size: 128, mtime: NOW - agoS * 1000 },
    { name: 'cluster.yaml', size: 66, mtime: NOW - 86_400_000 },
  ];
  const fs = (totalMb: number, availMb: number, mount = '/') => ({ mount, totalBytes: totalMb * MB, availBytes: availMb * MB });

  it('a small newest snapshot and free space is OK', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(3600, 12), fs: fs(100, 60), now: NOW, role: VOTER }, limits);
    expect([o.state, o.summary]).toEqual([State.OK, 'newest snapshot 12 MB, one snapshot, no cadence yet, 60% free on /']);
  });

  it('a snapshot below a tenth of a MB is said in KB, never as 0 MB (a fresh cluster: real ones are tens of KB)', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(3600, 40 / 1024), fs: fs(100, 60), now: NOW, role: VOTER }, limits);
    expect([o.state, o.summary]).toEqual([State.OK, 'newest snapshot 40 KB, one snapshot, no cadence yet, 60% free on /']);
  });

  it('a bloated snapshot on a nearly full disk: CRITICAL, both said', () => {
    const o = storage.evaluate({ backend: '/b', files: snap(60, 200), fs: fs(1000, 50, '/var'), now: NOW, role: VOTER }, limits);
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^newest snapshot 200 MB: each snapshot writes and ships the whole database, /);
    expect(o.summary).toMatch(/50 MB free on \/var: the next snapshot needs about 400 MB/);
  });

  // The long output's advice follows the findings that decided the state, worst first: a full disk
  // under a small database is told to free space, never led by a rebuild it does not need.
  describe('what to do: the advice of the findings made, in their order', () => {
    const REBUILD = 'A bloated database shrinks only by a rebuild';
    const advice = (o: ReturnType<typeof storage.evaluate>) =>
      o.details.filter((d) => d.startsWith(REBUILD) || d.startsWith('Free space on ') || d === 'This check deletes nothing.');
    const at = (files: ReturnType<typeof snap>, free: ReturnType<typeof fs>, freePages?: { pages: number; free: number }) =>
      storage.evaluate({ backend: '/b', files, fs: free, now: NOW, role: VOTER, freePages }, limits);
    const DISK = /^Free space on \/var before dqlite fails on it /;

    it('0% free under a 0.1 MB snapshot: CRITICAL on the disk, its advice alone, no rebuild', () => {
      const o = at(snap(3600, 0.1), fs(1000, 0, '/var'));
      expect([o.state, o.summary]).toEqual([
        State.CRITICAL,
        'only 0% free on /var (0 MB), 0 MB free on /var: the next snapshot needs about 0.2 MB (twice the newest) ' +
          '(newest snapshot 0.1 MB, one snapshot, no cadence yet, 0% free on /var)',
      ]);
      expect(advice(o)).toHaveLength(2);
      expect(advice(o)[0]).toMatch(DISK);
      expect(advice(o)[1]).toBe('This check deletes nothing.');
      // du over a root filesystem as a user reads none of root's 0700 directories (/var/snap/microk8s/common, containerd's):
      // what fills it there goes uncounted. sudo.
      expect(advice(o)[0]).toBe(
        'Free space on /var before dqlite fails on it (df -h /var, then sudo du -xh --max-depth=3 /var to see what fills it),',
      );
    });

    it('a large snapshot with the disk fine: the rebuild alone', () => {
      const o = at(snap(3600, 60), fs(10_000, 6000, '/var'));
      expect(o.state).toBe(State.WARNING);
      expect(advice(o)).toEqual([expect.stringMatching(/^A bloated database shrinks only by a rebuild: /), 'This check deletes nothing.']);
    });

    it('mostly free pages (--freelist) with the disk fine: the rebuild', () => {
      const o = at(snap(3600, 12), fs(10_000, 6000, '/var'), { pages: 100_000, free: 96_000 });
      expect(o.state).toBe(State.WARNING);
      expect(advice(o)[0]).toMatch(/^A bloated database shrinks only by a rebuild: /);
      expect(advice(o).some((d) => DISK.test(d))).toBe(false);
    });

    it('a large snapshot (WARNING) on a disk 5% free (CRITICAL): the disk first, then the rebuild', () => {
      const o = at(snap(3600, 60), fs(10_000, 500, '/var'));
      expect(o.state).toBe(State.CRITICAL);
      expect(o.summary).toMatch(/^only 5% free on \/var \(500 MB\), newest snapshot 60 MB: /);
      expect(advice(o)).toEqual([expect.stringMatching(DISK), expect.stringMatching(/^A bloated/), 'This check deletes nothing.']);
    });

    it('35% free, less than twice a 30 MB snapshot: CRITICAL for the next snapshot, the disk advice alone', () => {
      const o = at(snap(3600, 30), fs(100, 35, '/var'));
      expect(o.state).toBe(State.CRITICAL);
      expect(o.summary).toMatch(/^35 MB free on \/var: the next snapshot needs about 60 MB/);
      expect(advice(o)).toEqual([expect.stringMatching(DISK), 'This check deletes nothing.']);
    });

    it('a storm (large and frequent: CRITICAL) on a disk 5% free (CRITICAL): as found, the rebuild first', () => {
      const o = at([...snap(200, 60), ...snap(80, 60)], fs(10_000, 500, '/var'));
      expect(o.state).toBe(State.CRITICAL);
      expect(o.summary).toMatch(/^newest snapshot 60 MB, every 2m \(more than one per 5m\): .*, only 5% free on \/var/);
      expect(advice(o)).toEqual([expect.stringMatching(/^A bloated/), expect.stringMatching(DISK), 'This check deletes nothing.']);
    });
  });

  it('large AND frequent is CRITICAL; large alone WARNING; frequent and small OK', () => {
    const at = (files: ReturnType<typeof snap>) =>
      storage.evaluate({ backend: '/b', files, fs: fs(10_000, 6000), now: NOW, role: VOTER }, limits);
    const storm = at([...snap(200, 60), ...snap(80, 60)]);
    expect([storm.state, storm.summary]).toEqual([
      State.CRITICAL,
      'newest snapshot 60 MB, every 2m (more than one per 5m): each snapshot writes and ships ' +
        'the whole database (newest snapshot 60 MB, every 2m (30/h), 60% free on /)',
    ]);
    expect(at([...snap(3800, 60), ...snap(200, 60)]).state).toBe(State.WARNING);
    expect(at([...snap(200, 2), ...snap(80, 2)]).state).toBe(State.OK);
    // A burst that stopped an hour ago is history, not a storm.
    const stopped = at([...snap(3720, 60), ...snap(3600, 60)]);
    expect(stopped.state).toBe(State.WARNING);
    expect(stopped.details).toContain('the last snapshots came every 2m, but none for 1h: not frequent now');
  });

  // A backend restored or touched at once: both snapshots carry one mtime. A gap of 0 s is no cadence
  // ("every 0s", frequent): raft's order is the index, and the mtimes time nothing.
  it('two snapshots of one mtime time nothing: cadence unknown, interval U, never a storm of 0 s', () => {
    const o = storage.evaluate(
      { backend: '/b', files: [...snap(60, 60, 2048), ...snap(60, 60, 3072)], fs: fs(10_000, 6000), now: NOW, role: VOTER },
      limits,
    );
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      'newest snapshot 60 MB: each snapshot writes and ships the whole database (newest snapshot 60 MB, cadence unknown, 60% free on /)',
    ]);
    expect(perf(o)).toMatchObject({ snapshot_interval: 'U;;;0', snapshots_per_hour: 'U;;;0' });
    expect(o.details).toContain('cadence unknown: snapshot-3-3072-1492552 is not newer on disk than snapshot-3-2048-1492552');
  });

  it('a cadence never frequent is never said to have stopped being so', () => {
    const o = storage.evaluate(
      { backend: '/b', files: [...snap(1800, 2), ...snap(1200, 2)], fs: fs(10_000, 6000), now: NOW, role: VOTER },
      limits,
    );
    expect([o.state, o.summary]).toEqual([State.OK, 'newest snapshot 2 MB, every 10m (6/h), 60% free on /']);
    expect(o.details.join('\n')).not.toMatch(/not frequent now/);
  });

  // A burst long ago, then quiet: the two snapshots raft keeps are still 4 s apart, but no snapshot
  // came for 3 hours, so "every 4s (900/h)" described no moment since. The next snapshot is at least
  // that far from the newest: the rate of now is at most one per that time.
  it('a cadence the newest snapshot has outlived: the line says until when it held, the rate per hour is the one of now', () => {
    const at = (files: ReturnType<typeof snap>) =>
      storage.evaluate({ backend: '/b', files, fs: fs(10_000, 6000), now: NOW, role: VOTER }, limits);
    const quiet = at([...snap(10_804, 12), ...snap(10_800, 12)]);
    expect([quiet.state, quiet.summary]).toEqual([State.OK, 'newest snapshot 12 MB, every 4s until 3h ago, none since, 60% free on /']);
    expect(perf(quiet)).toMatchObject({ snapshot_interval: '4s;;;0', snapshots_per_hour: '0.3;;;0' });
    // The newest younger than the gap, or somewhat older (raft's pace varies with the writes): the gap is the rate of now.
    for (const newest of [80, 130, 240]) {
      const going = at([...snap(newest + 120, 12), ...snap(newest, 12)]);
      expect(going.summary).toBe('newest snapshot 12 MB, every 2m (30/h), 60% free on /');
      expect(perf(going)).toMatchObject({ snapshot_interval: '120s;;;0', snapshots_per_hour: '30;;;0' });
    }
    // Older than twice the gap, the pace since is at most half of it: said with until when the gap held.
    expect(at([...snap(361, 12), ...snap(241, 12)]).summary).toBe(
      'newest snapshot 12 MB, every 2m until 4m1s ago, none since, 60% free on /',
    );
  });

  // raft writes the next snapshot before it removes the oldest of the two it keeps: for a while there are three.
  it('three snapshots while raft writes the next: the cadence is the gap between the two newest, not the span of all three', () => {
    const files = [...snap(410, 60), ...snap(210, 60), ...snap(10, 60)];
    const o = storage.evaluate({ backend: '/b', files, fs: fs(10_000, 6000), now: NOW, role: VOTER }, limits);
    expect([o.state, o.summary]).toEqual([
      State.CRITICAL,
      'newest snapshot 60 MB, every 3m20s (more than one per 5m): each snapshot writes and ships ' +
        'the whole database (newest snapshot 60 MB, every 3m20s (18/h), 60% free on /)',
    ]);
    expect(perf(o)).toMatchObject({ snapshot_interval: '200s;;;0', snapshots_per_hour: '18;;;0' });
  });

  // freelist_pct's perfdata says WARNING above 50 (~:50; a Nagios range cannot say 50 or more):
  // the state and the text say the same, half free pages is not 'mostly free'.
  it('free pages: WARNING above half the database, as the perfdata range says, printed on its side', () => {
    const at = (free: number, pages = 100_000) =>
      storage.evaluate(
        { backend: '/b', files: snap(3600, 12), fs: fs(100, 60), now: NOW, role: VOTER, freePages: { pages, free } },
        limits,
      );
    const half = at(50_000);
    expect([half.state, half.perfdata.find((p) => p.label === 'freelist_pct')?.value]).toEqual([State.OK, 50]);
    const more = at(50_040);
    expect(more.state).toBe(State.WARNING);
    expect(more.summary).toMatch(/^50\.04% of the database is free pages \(50040 of 100000\)/);
    expect(more.perfdata.find((p) => p.label === 'freelist_pct')?.value).toBe(50.04);
  });

  it('a size judged in bytes is printed with the decimals that put it on the side of -w/-c it is judged on', () => {
    // One newest snapshot of `bytes`, judged against -w/-c in MB.
    const at = (bytes: number, warning = '50', critical = '150') => {
      const files = [...snap(3600, 1), { name: 'info.yaml', size: 60, mtime: NOW - 86_400_000 }];
      files[0] = { ...files[0]!, size: bytes };
      return storage.evaluate(
        { backend: '/b', files, fs: fs(10_000, 6000), now: NOW, role: VOTER },
        { ...limits, warning: r(warning), critical: r(critical) },
      );
    };
    // 50.04 MB is above -w 50: "50 MB" would read as within it.
    const over = at(Math.round(50.04 * MB));
    expect(over.state).toBe(State.WARNING);
    expect(over.summary).toMatch(/^newest snapshot 50\.04 MB: each snapshot writes/);
    expect(over.details).toContain(`snapshot-3-996400-1492552: 50.04 MB, written 2026-11-28T02:00:00Z (index 996400, term 3)`);
    // One byte over 150 MB is CRITICAL, and reads above 150.
    expect(at(150 * MB + 1).summary).toMatch(/^newest snapshot 150\.000001 MB: /);
    // Exactly 50 MB is within -w 50: OK, and one decimal says so.
    expect([at(50 * MB).state, at(50 * MB).summary]).toEqual([
      State.OK,
      'newest snapshot 50 MB, one snapshot, no cadence yet, 60% free on /',
    ]);
    // Inside ranges too: 9.96 MB is outside @10:20 (OK), not "10 MB"; 20.04 MB outside it too.
    expect([at(Math.round(9.96 * MB), '@10:20', '~:').state, at(Math.round(9.96 * MB), '@10:20', '~:').summary]).toEqual([
      State.OK,
      'newest snapshot 9.96 MB, one snapshot, no cadence yet, 60% free on /',
    ]);
    expect(at(Math.round(20.04 * MB), '@10:20', '~:').summary).toMatch(/^newest snapshot 20\.04 MB, /);
    // Far from a threshold, one decimal as before.
    expect(at(Math.round(12.34 * MB)).summary).toMatch(/^newest snapshot 12\.3 MB, /);
  });

  it('free space is printed on the side of --free-warning/-critical, and below twice the newest snapshot, it is judged on', () => {
    const at = (availBytes: number, snapMb = 1) =>
      storage.evaluate(
        { backend: '/b', files: snap(3600, snapMb), fs: { mount: '/', totalBytes: 10_000 * MB, availBytes }, now: NOW, role: VOTER },
        limits,
      );
    // 19.96% is below --free-warning 20: "only 20% free" would read as not below it.
    const low = at(1996 * MB);
    expect(low.state).toBe(State.WARNING);
    expect(low.summary).toBe('only 19.96% free on / (1996 MB) (newest snapshot 1 MB, one snapshot, no cadence yet, 19.96% free on /)');
    expect(at(2000 * MB).state).toBe(State.OK);
    // 59.96 MB free is less than the 60 MB the next 30 MB snapshot needs: never "60 MB free ... needs about 60 MB".
    const full = at(Math.round(59.96 * MB), 30);
    expect(full.state).toBe(State.CRITICAL);
    expect(full.summary).toContain('59.96 MB free on /: the next snapshot needs about 60 MB (twice the newest)');
  });

  describe("this node's role: the leader's word, else cluster.yaml as go-dqlite last rewrote it (every 30 s)", () => {
    /** A backend whose cluster.yaml go-dqlite wrote storeAgoS ago, with a 12 MB snapshot written snapAgoS ago (none: undefined). */
    const backend = (storeAgoS: number, snapAgoS?: number) => [
      ...(snapAgoS === undefined ? [] : snap(snapAgoS, 12).filter((f) => f.name !== 'cluster.yaml')),
      { name: 'info.yaml', size: 60, mtime: NOW - 86_400_000 },
      { name: 'cluster.yaml', size: 132, mtime: NOW - storeAgoS * 1000 },
    ];
    const at = (files: ReturnType<typeof backend>, role: 'voter' | 'spare', live?: storage.StorageFacts['live']) =>
      storage.evaluate({ backend: '/b', files, fs: fs(100, 60), now: NOW, role: { role }, live }, limits);
    const JUDGED = 'newest snapshot 12 MB, one snapshot, no cadence yet, 60% free on /';
    const SPARE = 'a dqlite spare: no copy of the database here, 60% free on /';

    it('a spare in a file rewritten 20 s ago, after its last raft write (a voter demoted): OK as a spare, saying so', () => {
      const o = at(backend(20, 3600), 'spare');
      expect([o.state, o.summary]).toEqual([State.OK, SPARE]);
      expect(o.details).toContain("this node's dqlite role: spare, as its cluster.yaml says (go-dqlite rewrote it 20s ago)");
      expect(o.details.some((d) => d.startsWith("/b is a dqlite spare's (its cluster.yaml says Role 2): "))).toBe(true);
    });

    // Read within a second of go-dqlite's rewrite, as a poll often is: said in seconds ('rewrote it 0m ago').
    it('a spare in a file rewritten this very second says so in seconds', () => {
      expect(at(backend(0, 3600), 'spare').details).toContain(
        "this node's dqlite role: spare, as its cluster.yaml says (go-dqlite rewrote it 0s ago)",
      );
    });

    it('a spare in a file raft wrote after (promoted since), or one 10 minutes old: its data judged, never OK as a spare', () => {
      const promoted = at(backend(20, 5), 'spare');
      expect([promoted.state, promoted.summary]).toEqual([State.OK, JUDGED]);
      expect(promoted.details).toContain(
        "this node's dqlite role not established (its cluster.yaml says spare, yet raft wrote snapshot-3-999995-1492552 15s " +
          "after go-dqlite last rewrote it: a spare's raft takes no entries, so it was promoted since, or its log was closed " +
          "as it stopped): a spare's stale copy is not told apart",
      );
      const stale = at(backend(600, 3600), 'spare');
      expect([stale.state, stale.summary]).toEqual([State.OK, JUDGED]);
      expect(stale.details).toContain(
        "this node's dqlite role not established (its cluster.yaml says spare, but go-dqlite last rewrote it 10m ago, " +
          'where it does every 30s while this node runs and reaches the leader: k8s-dqlite here is stopped, or has no ' +
          "leader): a spare's stale copy is not told apart",
      );
      // 2 minutes is four of go-dqlite's rounds: the file is still taken; a second more, not.
      expect(at(backend(120, 3600), 'spare').summary).toBe(SPARE);
      expect(at(backend(121, 3600), 'spare').summary).toBe(JUDGED);
    });

    it('a spare in a 10-minute-old file, with no raft data: UNKNOWN, the role not established said as the reason', () => {
      const o = at(backend(600), 'spare');
      expect(o.state).toBe(State.UNKNOWN);
      expect(o.summary).toMatch(
        pattern(
          /^no raft data in \/b: this node keeps no copy of the database to judge, as a dqlite spare, yet its role is not /,
          /established \(its cluster\.yaml says spare, but go-dqlite last rewrote it 10m ago, /,
        ),
      );
      expect(at(backend(20), 'spare').summary).toBe(SPARE);
    });

    it("the leader's word (--freelist) over the file's, both said", () => {
      const voter = at(backend(20, 3600), 'spare', { role: 'voter' });
      expect([voter.state, voter.summary]).toEqual([State.OK, JUDGED]);
      expect(voter.details).toContain(
        "this node's dqlite role: voter, as the dqlite leader lists it (.cluster); its cluster.yaml, rewritten 20s ago, says spare",
      );
      const spare = at(backend(20, 5), 'voter', { role: 'spare' });
      expect([spare.state, spare.summary]).toEqual([State.OK, SPARE]);
      expect(spare.details.some((d) => d.startsWith("/b is a dqlite spare's (the dqlite leader lists it so): "))).toBe(true);
      expect(spare.details).toContain(
        "this node's dqlite role: spare, as the dqlite leader lists it (.cluster); its cluster.yaml, rewritten 20s ago, says voter",
      );
      // No answer to .cluster: the file, where it can be taken, and why the leader's word is missing.
      const unread = at(backend(20, 3600), 'spare', { unread: 'stand-in failure' });
      expect(unread.summary).toBe(SPARE);
      expect(unread.details).toContain("the dqlite leader was not asked for this node's role (.cluster: stand-in failure)");
    });

    // Removed from the cluster (remove-node on another node), its dqlite running on: go-dqlite rewrites its cluster.yaml
    // from the leader's list, which names it no more; its raft files stay, written by no one.
    it('a node the leader does not list, or its cluster.yaml names no more: UNKNOWN not a member, its files never judged', () => {
      const REMOVED = '10.0.0.12:19001';
      const FIX = /: the raft files in \/b are leftovers the cluster no longer writes, not its storage \(fix: [^)]*--host/;
      const file = storage.evaluate(
        { backend: '/b', files: backend(20, 3600), fs: fs(100, 60), now: NOW, role: { unlisted: REMOVED } },
        limits,
      );
      expect(file.state).toBe(State.UNKNOWN);
      expect(file.summary).toMatch(
        pattern(
          /^this node \(10\.0\.0\.12:19001\) is not a member of the dqlite cluster \(its cluster\.yaml, which go-dqlite /,
          /rewrote 20s ago from the dqlite leader's list, names no member with its ID or address\)/,
          FIX,
        ),
      );
      expect(file.summary).toMatch(/\(60% free on \/\)$/);
      expect(perf(file)).toMatchObject({ snapshot_size: 'U;;;0', snapshots_per_hour: 'U;;;0' });
      // The leader's word, whatever the file says (a voter stopped, then removed: its file still names it).
      const live = at(backend(600, 3600), 'voter', { unlisted: REMOVED });
      expect(live.state).toBe(State.UNKNOWN);
      expect(live.summary).toMatch(
        pattern(
          /^this node \(10\.0\.0\.12:19001\) is not a member of the dqlite cluster \(the dqlite leader lists no member /,
          /with its ID or address \(\.cluster\)\)/,
          FIX,
        ),
      );
      // A node whose join never completed is not listed either: go-dqlite's join file says which it is.
      const joining = at([...backend(20, 3600), { name: 'join', size: 0, mtime: NOW - 20_000 }], 'voter', { unlisted: REMOVED });
      expect(joining.summary).not.toMatch(/not a member/);
    });

    it('a voter without raft data: UNKNOWN, saying who names it a voter', () => {
      const file = at(backend(20), 'voter');
      expect(file.state).toBe(State.UNKNOWN);
      expect(file.summary).toMatch(/as a dqlite spare, yet its cluster\.yaml does not name it one \(not refreshed from the leader yet, /);
      const live = at(backend(20), 'spare', { role: 'voter' });
      expect(live.state).toBe(State.UNKNOWN);
      expect(live.summary).toMatch(/as a dqlite spare, yet the dqlite leader lists it as a voter \(is this its backend\?\) \(fix: /);
    });
  });
});
