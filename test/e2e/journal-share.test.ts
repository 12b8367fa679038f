// The journal checks of a shared run (`microk8s-checks all`, the poll cycle) read the journal in one
// pass of journalctl with their greps joined. Against real journalctl: the joined pattern selects
// exactly the entries that any one of the patterns selects alone, the awkward ones too (a | in a
// class or escaped, a group, an inline option), so no check loses a line to the sharing.
import { describe, expect, it } from 'vitest';
import { KINE_GREP } from '../../checks/kine-retries.ts';
import { LOCKED } from '../../checks/dqlite-lock.ts';
import { KUBELITE_START_GREP } from '../../lib/logs/kubelite-start.ts';
import { JournalShare } from '../../lib/sources/journal-share.ts';
import { readJournal } from '../../lib/sources/journal.ts';
import type { JournalQuery } from '../../lib/sources/journalctl.ts';
import { DQLITE, haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';

const MESSAGES = [
  'database is locked',
  'grpc: addrConn.createTransport failed to connect to {unix:///var/snap/microk8s/1/var/kubernetes/backend/kine.sock}',
  'Starting kubelite',
  'a|b in one message',
  'a or b, no pipe',
  'x|y',
  'pr',
  'qr',
  'rr',
  'z]|w',
  'zw',
  'Retrying after a failed try: 3',
  'nothing to see here',
];

const linesOf = async (q: JournalQuery, grep: string) => {
  const got: string[] = [];
  await readJournal({ ...q, grep }, AbortSignal.timeout(20_000), (l) => got.push(l.message));
  return got;
};

describe.skipIf(!haveJournalRemote)('journal reads shared by the checks of one run', () => {
  it('one pass with the greps joined reads what each grep reads alone, and nothing more', async () => {
    const file = makeJournal(MESSAGES.map((message, i) => ({ age: 60 - i, service: i % 2 ? DQLITE : KUBELITE, message })));
    const q: JournalQuery = { units: [KUBELITE.unit, DQLITE.unit], since: Date.now() - 600_000, files: [file] };
    const greps = [LOCKED, KINE_GREP, `${LOCKED}|${KINE_GREP}|${KUBELITE_START_GREP}`, 'a[|]b', 'x\\|y', '(?:p|q)r', '[]|]w', '(?s)rr'];
    const alone = new Set<string>();
    for (const g of greps) for (const m of await linesOf(q, g)) alone.add(m);
    // Each of them matched something: a pattern broken by the joining would show.
    expect(alone.size).toBeGreaterThanOrEqual(9);

    const share = new JournalShare(1);
    const seen = greps.map(() => [] as string[]);
    await Promise.all(greps.map((grep, i) => share.read({ ...q, grep }, AbortSignal.timeout(20_000), (l) => seen[i]!.push(l.message))));
    for (const s of seen) expect(new Set(s)).toEqual(alone);
    expect(alone.has('a or b, no pipe')).toBe(false);
    expect(alone.has('zw')).toBe(false);
    expect(alone.has('nothing to see here')).toBe(false);
  });
});
