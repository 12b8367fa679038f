// The journal files the tests and `npm run demo` write (test/helpers/journal.ts) share one boot
// id, and journalctl orders the entries of one boot by their monotonic stamp. A monotonic stamp
// that wrapped every 1000 s of wall time put the lines written after a wrap before the older
// ones: journalctl's --since/--until then skipped lines, and check_dqlite_lock alone counted 68
// of the demo's 149 lines (`all`, one journalctl over the window, counted 148).
import { mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { at, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { DQLITE, type Entry, exportText, haveJournalRemote, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';

const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });

describe('the journal files the tests write', () => {
  it('stamp a boot monotonic clock that grows with the wall clock, across a multiple of 1000 s', () => {
    // 150 s before and 50 s after 1796470000 s: the old stamp wrapped between the two.
    const now = 1_796_470_050_000;
    const stamps = exportText([lock(200), lock(50)], now)
      .split('\n')
      .filter((l) => l.startsWith('__MONOTONIC_TIMESTAMP='))
      .map((l) => Number(l.split('=')[1]));
    expect(stamps).toHaveLength(2);
    expect(stamps[1]).toBeGreaterThan(stamps[0]!);
  });

  it.skipIf(!haveJournalRemote)('in a directory of several files, as the demo writes them, are counted whole', async () => {
    // The wall clock's last multiple of 1000 s, over 210 s ago. As in the demo, the first file
    // holds lines on both sides of it, the next ones later lines: in the older half of the window,
    // which the check reads with a journalctl of its own (--since and --until), and in the newer.
    // The window reaches wrap - 145 s past the oldest line (wrap + 25 s): at 150 s that left 5 s
    // for writing three journals and starting the check (8 s of delay counted 29 lines); now a minute.
    let wrap = Math.round((Date.now() % 1_000_000) / 1000);
    if (wrap < 210) wrap += 1000;
    const window = 2 * (wrap - 60);
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-wrap-'));
    const first = Array.from({ length: 10 }, (_, i) => lock(wrap + 25 - i * 5));
    const next = Array.from({ length: 10 }, (_, i) => lock(wrap - 30 - i * 2));
    renameSync(makeJournal(first), join(dir, 'a.journal'));
    const newer = Array.from({ length: 10 }, (_, i) => lock(wrap - 70 - i * 2));
    renameSync(makeJournal(next), join(dir, 'b.journal'));
    renameSync(makeJournal(newer), join(dir, 'c.journal'));
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir, '--since', `${window}s`, '-w', '100', '-c', '200']);
    expect(r.first).toMatch(/^DQLITE-LOCK OK - 30 'database is locked' lines in the last /);
  });
});
