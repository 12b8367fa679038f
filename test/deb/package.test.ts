// The Debian packages of `make deb`, installed on this machine for real: dpkg -i, a check through
// the real nrpe with the installed conffile, an upgrade over an edited conffile, dpkg --purge and
// the filesystem compared before and after. Run by `npm run test:deb` (as root, on a machine that
// may be changed: .ci/run), never by `npm test`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node } from '../apiserver/objects.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { at, LOCK_TXN, logrus } from '../helpers/fixtures.ts';
import { CHECK_NRPE, NRPE, waitForNrpe, writeNrpeConfig } from '../helpers/nrpe.ts';
import { runProcess } from '../helpers/run.ts';
import { freePort } from '../helpers/sshd.ts';
import { nagiosIds } from '../helpers/users.ts';
import { until } from '../helpers/wait.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
const deb = (arch: string) => join(ROOT, 'dist', `microk8s-checks_${VERSION}_${arch}.deb`);
const PLUGINS = '/usr/lib/nagios/plugins';
const CONFFILE = '/etc/nagios/nrpe.d/microk8s-checks.cfg';
const KUBECONFIG = '/etc/nagios/microk8s.kubeconfig';
const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const groupsOfNagios = () => sh('id', ['-nG', 'nagios']).trim().split(/\s+/).sort();
const installed = () => {
  try {
    return /^Status: .* installed$/m.test(sh('dpkg', ['-s', 'microk8s-checks']));
  } catch {
    return false;
  }
};

/**
 * Every path outside the scratch areas, with its type, mode and owner, and what /etc/group and
 * /etc/gshadow say: what a package and its maintainer scripts can leave behind.
 */
function snapshot(): { paths: Set<string>; groups: string } {
  const prune = [
    '/proc',
    '/sys',
    '/dev',
    '/run',
    '/tmp',
    '/var/tmp',
    '/root',
    '/work',
    '/var/lib/dpkg',
    '/var/lib/apt',
    '/var/log',
    '/var/cache',
    ROOT,
    tmpdir(),
  ];
  const args = [
    '/',
    '-xdev',
    '(',
    ...prune.flatMap((p, i) => [...(i ? ['-o'] : []), '-path', p]),
    ')',
    '-prune',
    '-o',
    '-printf',
    '%p %y %m %u %g\\n',
  ];
  const out = execFileSync('find', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const groups = createHash('sha256').update(readFileSync('/etc/group')).update(readFileSync('/etc/gshadow')).digest('hex');
  return { paths: new Set(out.split('\n').filter(Boolean)), groups };
}
/** Six "database is locked" lines of k8s-dqlite in the last minute, as syslog has them. */
const lockLines = () => {
  const fmt = (d: Date) =>
    `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, '0')} ${d.toTimeString().slice(0, 8)}`;
  return [10, 20, 30, 40, 50, 60]
    .map((age) => `${fmt(at(age))} k8s01 microk8s.daemon-k8s-dqlite[739]: ${logrus(at(age), 'error', LOCK_TXN)}\n`)
    .join('');
};
const LOCK_ARGS = ['--log-file', '-', '-w', '5', '-c', '50'];

const rmEmptyDir = (path: string) => {
  try {
    rmdirSync(path);
  } catch {
    // not there, or not empty: left as it is
  }
};

const difference = (a: Set<string>, b: Set<string>) => [...a].filter((p) => !b.has(p));

const why = (() => {
  if (process.getuid?.() !== 0) return 'needs root (dpkg -i)';
  if (!existsSync(deb('amd64')) || !existsSync(deb('arm64'))) return `needs both packages in dist/: run make deb first`;
  if (!nagiosIds() || !existsSync(NRPE) || !existsSync(CHECK_NRPE)) return 'needs nrpe, check_nrpe and the nagios user';
  if (installed()) return 'microk8s-checks is installed on this machine already: this test would replace it';
  if (existsSync(KUBECONFIG)) return `${KUBECONFIG} exists: this test would replace it`;
  return undefined;
})();

describe('the amd64 package, installed, polled through nrpe, upgraded and purged', () => {
  // Called explicitly (npm run test:deb): a missing prerequisite fails, it does not skip.
  it('can run here', () => expect(why).toBeUndefined());
  if (why) return;

  const dir = mkdtempSync(join(tmpdir(), 'mk8s-deb-'));
  let before: ReturnType<typeof snapshot>;
  let groupsBefore: string[];
  let madeMicrok8sGroup = false;
  let c: TestCluster;
  let nrpe: ChildProcess | undefined;
  let port: number;
  const home = sh('getent', ['passwd', 'nagios']).split(':')[5]!;
  const KEPT = ['.cache/microk8s-checks', '.local/state/microk8s-checks'];
  const aside = join(dir, 'aside');
  let keepDir = false;
  const setAside = () => {
    for (const [i, rel] of KEPT.entries()) {
      if (!existsSync(join(home, rel))) continue;
      mkdirSync(aside, { recursive: true });
      sh('mv', [join(home, rel), join(aside, String(i))]);
    }
    // Parents left empty would be purge's to remove (it removes them only when empty).
    for (const rel of ['.local/state', '.local', '.cache']) rmEmptyDir(join(home, rel));
  };
  const putBack = () => {
    for (const [i, rel] of KEPT.entries()) {
      if (!existsSync(join(aside, String(i)))) continue;
      if (existsSync(join(home, rel))) {
        // Only after a failed purge: what was set aside stays where it is, and says so.
        console.warn(`left in ${join(aside, String(i))}: ${join(home, rel)} exists`);
        keepDir = true;
        continue;
      }
      // Each missing parent made nagios' own, as the checks make them (install -d alone left ~/.local root's).
      const parts = dirname(rel).split('/');
      for (let k = 1; k <= parts.length; k++) {
        const d = join(home, ...parts.slice(0, k));
        if (!existsSync(d)) sh('install', ['-d', '-o', 'nagios', '-g', 'nagios', '-m', '700', d]);
      }
      sh('mv', [join(aside, String(i)), join(home, rel)]);
    }
  };

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    // With a microk8s group, postinst has two groups to add and purge two to take back.
    if (
      !sh('getent', ['group'])
        .split('\n')
        .some((l) => l.startsWith('microk8s:'))
    ) {
      sh('groupadd', ['--system', 'microk8s']);
      madeMicrok8sGroup = true;
    }
    // What the checks kept for nagios before (purge removes it): out of the way until the end.
    setAside();
    groupsBefore = groupsOfNagios();
    before = snapshot();
    c = await startCluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
  }, 60_000);

  afterAll(async () => {
    nrpe?.kill();
    await c?.close();
    rmSync(KUBECONFIG, { force: true });
    if (installed()) sh('dpkg', ['--purge', 'microk8s-checks']);
    if (madeMicrok8sGroup) sh('groupdel', ['microk8s']);
    putBack();
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs with dpkg -i, and postinst adds nagios to systemd-journal and microk8s', () => {
    const out = sh('dpkg', ['-i', deb('amd64')]);
    for (const group of ['systemd-journal', 'microk8s'].filter((g) => !groupsBefore.includes(g))) {
      expect(out).toContain(`microk8s-checks: added the user nagios to the group ${group}`);
    }
    expect(groupsOfNagios()).toEqual(expect.arrayContaining(['systemd-journal', 'microk8s']));
  }, 120_000);

  it('puts every file of nrpe/ but the NRPE commands in examples/, as it is there; the sudoers example is no more than that', () => {
    const examples = '/usr/share/doc/microk8s-checks/examples';
    const shipped = readdirSync(join(ROOT, 'nrpe'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(join(ROOT, 'nrpe'), join(e.parentPath, e.name)))
      .filter((f) => f !== 'microk8s-checks.cfg');
    expect(shipped).toContain(join('sudoers.d', 'microk8s-checks'));
    for (const f of shipped) expect(readFileSync(join(examples, f), 'utf8'), f).toBe(readFileSync(join(ROOT, 'nrpe', f), 'utf8'));
    // sudo accepts it as it is, and reads it only where the admin installs it: the package puts nothing in /etc/sudoers.d.
    execFileSync('visudo', ['-cf', join(examples, 'sudoers.d/microk8s-checks')], { stdio: 'pipe' });
    expect(sh('dpkg', ['-L', 'microk8s-checks'])).not.toMatch(/^\/etc\/sudoers/m);
  });

  it('the installed check_dqlite_lock answers -V, and judges a journal from its own runtime', async () => {
    const v = await runProcess(`${PLUGINS}/check_dqlite_lock`, ['-V'], { env: { PATH: '/usr/bin:/bin' } });
    expect(v.code).toBe(0);
    expect(v.first).toBe(`check_dqlite_lock ${VERSION} (microk8s-checks)`);
    // No Node on PATH at all: the package's own runtime runs it.
    const r = await runProcess(`${PLUGINS}/check_dqlite_lock`, LOCK_ARGS, { env: { PATH: '/nonexistent' }, input: lockLines() });
    expect(r.first).toMatch(/^DQLITE-LOCK WARNING - 6 /);
    expect(r.code).toBe(1);
  });

  it('a check answers through the real nrpe, as nagios with its groups, from the installed conffile', async () => {
    copyFileSync(c.kubeconfig, KUBECONFIG);
    chownSync(KUBECONFIG, 0, nagiosIds()!.gid);
    chmodSync(KUBECONFIG, 0o640);
    port = await freePort();
    writeNrpeConfig(join(dir, 'nrpe.cfg'), port, dir, [`include=${CONFFILE}`]);
    chmodSync(dir, 0o777);
    // As systemd starts nagios-nrpe-server: User=nagios with that user's groups (postinst's).
    nrpe = spawn('setpriv', ['--reuid=nagios', '--regid=nagios', '--init-groups', NRPE, '-c', join(dir, 'nrpe.cfg'), '-f'], {
      stdio: 'ignore',
      env: { PATH: '/usr/bin:/bin' },
    });
    await waitForNrpe(port);
    const polled = await runProcess(CHECK_NRPE, ['-H', '127.0.0.1', '-p', String(port), '-t', '30', '-c', 'check_microk8s_nodes']);
    expect(polled.first).toMatch(/^NODES OK - 2 nodes, all Ready \|/);
    expect(polled.code).toBe(0);
    // NRPE gives the plugin nagios' HOME: the shared cycle's answer is kept there.
    expect(existsSync(join(home, '.cache/microk8s-checks/cycle/results'))).toBe(true);
  }, 60_000);

  it('an upgrade over itself keeps an edited conffile, and postinst adds nothing twice', () => {
    const edited = readFileSync(CONFFILE, 'utf8').replace(
      'check_dqlite_lock --cycle=55 -w 5 -c 50',
      'check_dqlite_lock --cycle=55 -w 7 -c 70',
    );
    writeFileSync(CONFFILE, `${edited}# edited by the admin\n`);
    const out = sh('dpkg', ['-i', deb('amd64')]);
    expect(out).not.toContain('added the user nagios');
    expect(readFileSync(CONFFILE, 'utf8')).toContain('-w 7 -c 70');
    expect(readFileSync(CONFFILE, 'utf8')).toContain('# edited by the admin');
    expect(readFileSync('/var/lib/microk8s-checks/groups-added', 'utf8').split('\n').filter(Boolean).sort()).toEqual(
      ['microk8s', 'systemd-journal'].filter((g) => !groupsBefore.includes(g)),
    );
  }, 120_000);

  it('nrpe installed after the package: its trigger adds the groups then', () => {
    const ours = ['microk8s', 'systemd-journal'].filter((g) => !groupsBefore.includes(g));
    for (const group of ours) sh('gpasswd', ['-d', 'nagios', group]);
    // What installing or upgrading nagios-nrpe-server does to the file trigger on /usr/sbin/nrpe.
    sh('dpkg-trigger', ['--by-package=nagios-nrpe-server', '--no-await', '/usr/sbin/nrpe']);
    const out = sh('dpkg', ['--triggers-only', '--pending']);
    for (const group of ours) expect(out).toContain(`microk8s-checks: added the user nagios to the group ${group}`);
    expect(groupsOfNagios()).toEqual(expect.arrayContaining(['systemd-journal', 'microk8s']));
    expect(readFileSync('/var/lib/microk8s-checks/groups-added', 'utf8').split('\n').filter(Boolean).sort()).toEqual(ours);
  });

  it('dpkg --purge leaves nothing behind: the filesystem and the groups are as before', async () => {
    nrpe?.kill();
    nrpe = undefined;
    rmSync(KUBECONFIG, { force: true });
    // The shared cycle's run that the poll above started outlives nrpe, and writes its answers and
    // V8's compile cache when it ends: a run still going would make them again after purge.
    await until(
      () => 'the checks nagios still runs to end',
      () => (spawnSync('pgrep', ['-u', 'nagios', '-f', 'microk8s-checks']).status === 1 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    sh('dpkg', ['--purge', 'microk8s-checks']);
    const after = snapshot();
    expect(difference(after.paths, before.paths), 'left behind').toEqual([]);
    expect(difference(before.paths, after.paths), 'taken away').toEqual([]);
    expect(groupsOfNagios()).toEqual(groupsBefore);
    expect(after.groups).toBe(before.groups);
  }, 120_000);
});

describe('the arm64 package', () => {
  const file = deb('arm64');
  it.skipIf(!existsSync(file))('is for arm64, with an aarch64 runtime', () => {
    expect(sh('dpkg-deb', ['--field', file, 'Architecture']).trim()).toBe('arm64');
    // The fixes the checks give for a path denied to nagios are setfacl lines: acl brings setfacl.
    expect(sh('dpkg-deb', ['--field', file, 'Recommends']).trim()).toBe('nagios-nrpe-server, acl');
    expect(sh('dpkg-deb', ['--contents', file])).toMatch(/ \.\/usr\/lib\/microk8s-checks\/runtime\/node\n/);
    const x = mkdtempSync(join(tmpdir(), 'mk8s-arm64-'));
    try {
      sh('dpkg-deb', ['-x', file, x]);
      expect(sh('file', ['-b', join(x, 'usr/lib/microk8s-checks/runtime/node')])).toMatch(/^ELF 64-bit LSB .*ARM aarch64/);
    } finally {
      rmSync(x, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync(file))('ships README and every docs/ file beside it, gzipped as Debian wants', () => {
    const contents = sh('dpkg-deb', ['--contents', file]);
    const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md'));
    expect(docs).toContain('checks/dqlite.md');
    for (const f of ['README.md', ...docs.map((d) => `docs/${d}`)])
      expect(contents).toContain(` ./usr/share/doc/microk8s-checks/${f}.gz\n`);
  });

  // qemu-user-static with the arm64 C and C++ libraries (libc6-arm64-cross, libstdc++6-arm64-cross)
  // runs the package's own runtime and bundle, no binfmt registration needed.
  const QEMU = '/usr/bin/qemu-aarch64-static';
  const SYSROOT = '/usr/aarch64-linux-gnu';
  const noQemu = !existsSync(QEMU) || !existsSync(`${SYSROOT}/lib/libstdc++.so.6`);
  if (noQemu) console.warn('arm64 package: not run (needs qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross)');
  it.skipIf(!existsSync(file) || noQemu)(
    'runs a check under qemu-user-static as the amd64 one does',
    async () => {
      const x = mkdtempSync(join(tmpdir(), 'mk8s-arm64-'));
      try {
        sh('dpkg-deb', ['-x', file, x]);
        const lib = join(x, 'usr/lib/microk8s-checks');
        const run = (args: string[], input?: string) =>
          runProcess(QEMU, ['-L', SYSROOT, join(lib, 'runtime/node'), join(lib, 'check_dqlite_lock.mjs'), ...args], { input: input ?? '' });
        expect((await run(['-V'])).first).toBe(`check_dqlite_lock ${VERSION} (microk8s-checks)`);
        const r = await run(LOCK_ARGS, lockLines());
        expect(r.first).toMatch(/^DQLITE-LOCK WARNING - 6 /);
        expect(r.code).toBe(1);
      } finally {
        rmSync(x, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('lintian', () => {
  const lintian = ['/usr/bin/lintian'].find((f) => existsSync(f));
  if (!lintian) console.warn('lintian: not run (apt-get install lintian)');
  for (const arch of ['amd64', 'arm64']) {
    it.skipIf(!lintian || !existsSync(deb(arch)))(
      `reports no error in the ${arch} package`,
      async () => {
        const r = await runProcess(lintian!, ['--tag-display-limit', '0', deb(arch)]);
        const errors = r.stdout.split('\n').filter((l) => l.startsWith('E: '));
        expect(errors).toEqual([]);
        expect(r.code, r.stderr).toBe(0);
      },
      300_000,
    );
  }
});
