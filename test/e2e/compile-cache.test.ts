// V8's compile cache lives in the user's cache directory (nagios' home under NRPE). A build's
// chunks are named by their content, so the entries of an earlier build are never read again:
// without cleaning, every upgrade would leave its few MB there for good.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, runBuilt } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
  addHealthyCluster(c.api);
});

/** The compile cache directory the built launchers use, as they name it. */
const thisBuild = () => /\/microk8s-checks\/(compile-[0-9a-f]{16})"/.exec(readFileSync(join(DIST, 'check_nodes'), 'utf8'))?.[1];

describe("V8's compile cache", () => {
  it("keeps one build's: the first run of a new build removes earlier builds' and nothing else", async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'mk8s-cache-'));
    const ours = join(cacheHome, 'microk8s-checks');
    // An earlier build's cache, one of the layout before (Node's own directory right under ours),
    // the shared cycle's answers, and a symlink someone put there, to a directory of theirs.
    for (const d of ['compile-0123456789abcdef/v24.21.0-x64-964aae3f-0', 'v24.21.0-x64-964aae3f-0', 'cycle/results']) {
      mkdirSync(join(ours, d), { recursive: true });
      writeFileSync(join(ours, d, 'entry'), 'x');
    }
    const theirs = mkdtempSync(join(tmpdir(), 'mk8s-theirs-'));
    writeFileSync(join(theirs, 'keep'), 'x');
    symlinkSync(theirs, join(ours, 'compile-link'));
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome };

    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    expect(r.first).toMatch(/^NODES OK/);
    const build = thisBuild();
    expect(build).toBeDefined();
    expect(readdirSync(ours).sort()).toEqual([build, 'compile-link', 'cycle'].sort());
    expect(existsSync(join(ours, 'cycle/results/entry'))).toBe(true);
    expect(readdirSync(theirs)).toEqual(['keep']);
    // Node wrote this build's entries, and a later run of the same build keeps them.
    const [node] = readdirSync(join(ours, build!));
    expect(node).toBeDefined();
    expect(readdirSync(join(ours, build!, node!)).length).toBeGreaterThan(0);
    writeFileSync(join(ours, build!, 'marker'), 'x');
    const again = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    expect(again.first).toMatch(/^NODES OK/);
    expect(existsSync(join(ours, build!, 'marker'))).toBe(true);
  });
});
