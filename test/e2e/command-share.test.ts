// The dqlite CLI's answers shared in one run (lib/sources/command-share.ts): each asker keeps
// its own budget. Under --sudo root's timeout (SUDO_CLI_SECONDS) ends the CLI from when the FIRST
// asker started it; a check that joined later must still hear "no answer", as it would alone,
// never "the CLI failed" (check_leases: its whole verdict lost to an UNKNOWN).
import { describe, expect, it } from 'vitest';
import { CommandShare } from '../../lib/sources/command-share.ts';
import { askLeader } from '../../lib/sources/dqlite-cluster.ts';
import { SUDO_CLI_SECONDS } from '../../lib/sources/dqlite.ts';
import { reasonOf } from '../../lib/errors.ts';
import { DEMO_DATABASE, DQLITE_CLI, dqliteUnavailable, startDqlite } from '../helpers/dqlite.ts';

const asRoot = process.getuid?.() === 0;

describe.skipIf(dqliteUnavailable() !== undefined || !asRoot)('a shared .leader under --sudo', () => {
  it(
    "a check that joined late hears 'no answer' when root's timeout ends the shared CLI, as alone",
    async () => {
      const d = await startDqlite(1);
      try {
        const only = d.nodes[0]!;
        // Its only voter gone: the v1 CLI blocks for good, and root's timeout ends it.
        await only.stop();
        const cli = { bin: DQLITE_CLI, backend: only.backend, database: DEMO_DATABASE, sudo: true };
        const share = new CommandShare();
        const ask = (budgetMs: number) =>
          askLeader(cli, budgetMs, AbortSignal.timeout(budgetMs + 5000), share).then(
            (a) => (a.kind === 'unknown' ? a.why : a.kind),
            (err: unknown) => `thrown: ${reasonOf(err)}`,
          );
        // check_dqlite first (a long -t), check_leases a second and a half later (its askLeader's budget).
        const first = ask(30_000);
        await new Promise((r) => setTimeout(r, 1500));
        const late = ask(30_000);
        const [a, b] = await Promise.all([first, late]);
        expect(a).toMatch(/^no answer from the dqlite CLI in/);
        expect(b).toMatch(/^no answer from the dqlite CLI in/);
      } finally {
        await d.stop();
      }
    },
    (SUDO_CLI_SECONDS + 30) * 1000,
  );
});
