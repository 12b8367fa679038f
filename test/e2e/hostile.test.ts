// Command lines as a hurried or hostile user writes them: each is one UNKNOWN line that says what
// was wrong and points at it, exit 3, nothing looked at.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCerts, writeKubeconfig } from '../apiserver/certs.ts';
import { DIST, runBuilt, runProcess, STARTUP_MS } from '../helpers/run.ts';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { healthyNode, systemctlStandIn, unit } from '../helpers/standins.ts';
import { RBAC_YAML } from '../../lib/sources/kube/errors.ts';

describe('all, its command eaten by an option', () => {
  it('`-n all`, `--host all`, `-t all`: the option that took `all` is named, and the fix puts the command first', async () => {
    for (const [flag, value] of [
      ['-n', 'all'],
      ['--host', 'all'],
      ['--kubeconfig', 'all'],
      ['-t', 'all'],
    ] as const) {
      const r = await runBuilt('microk8s-checks', [flag, value, '--snap-data', '/nonexistent/snap']);
      expect(r.code, flag).toBe(3);
      expect(r.stdout, flag).toBe(
        `MICROK8S-CHECKS UNKNOWN - no command: ${flag} took 'all' as its value ` +
          `(fix: give the command first, then the option with its value: microk8s-checks all ${flag} VALUE)\n`,
      );
    }
    // Nothing eaten: no command at all is still said plainly.
    const none = await runBuilt('microk8s-checks', ['-t', '5']);
    expect(none.stdout).toBe('MICROK8S-CHECKS UNKNOWN - say what to run: microk8s-checks all (fix: see microk8s-checks --help)\n');
  });
});

describe('all as a table', () => {
  it("a row's summary is one line with no '|', whatever the value it echoes", async () => {
    const r = await runBuilt('microk8s-checks', ['all', '--kubeconfig', '/nonexistent/a|b\nFAKE OK', '--snap-data', '/nonexistent/snap']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^NODES +UNKNOWN +cannot read kubeconfig \/nonexistent\/a\u00a6b FAKE OK: /m);
    expect(r.stdout).not.toMatch(/\||^FAKE/m);
  });

  it("no check applies: the first line is the run's own UNKNOWN, exit 3, the skipped rows after it", async () => {
    const { KUBECONFIG: _, ...env } = process.env;
    const none = await runBuilt('microk8s-checks', ['all', '--snap-data', '/nonexistent'], {
      env: { ...env, HOME: mkdtempSync(join(tmpdir(), 'mk8s-home-')) },
    });
    expect([none.code, none.first]).toEqual([3, 'MICROK8S-CHECKS UNKNOWN - no check applies on this host']);
    expect(none.stdout.split('\n')[1]).toMatch(/^CHECK +STATE +SUMMARY$/);
  });
});

describe("a check's command line", () => {
  it("words after '--' are refused, never ignored: `-- --kubeconfig K` read no kubeconfig and said none was given", async () => {
    for (const args of [
      ['--', '--kubeconfig', '/tmp/kubeconfig'],
      ['-t', '5', '--', '-w', '5'],
    ]) {
      const r = await runBuilt('check_nodes', args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stdout, args.join(' ')).toBe(
        `NODES UNKNOWN - '${args[args.indexOf('--') + 1]}' comes after '--', which ends the options: ` +
          `a check takes no other arguments (fix: leave '--' out)\n`,
      );
    }
  });

  it('a namespace both asked for (-n) and skipped (--exclude-namespace) is refused, never judged as if not skipped', async () => {
    for (const [command, name] of [
      ['check_stale_jobs', 'STALE-JOBS'],
      ['check_cronjobs', 'CRONJOBS'],
      ['check_pod_restarts', 'POD-RESTARTS'],
    ] as const) {
      const r = await runBuilt(command, [
        '--kubeconfig',
        '/nonexistent/kubeconfig',
        '-n',
        'web',
        '-n',
        'ops',
        '--exclude-namespace',
        'ops',
      ]);
      expect([r.code, r.stdout], command).toEqual([
        3,
        `${name} UNKNOWN - namespace 'ops' is given with both -n/--namespace and --exclude-namespace ` +
          `(fix: give it to one of them: -n to judge it, --exclude-namespace to skip it)\n`,
      ]);
    }
  });

  it('--max-long-output takes whole bytes, 0 or more: never "cut at NaN bytes"', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'mk8s-hostile-')), 'kubelite.log');
    writeFileSync(log, 'Nov 28 00:00:00 k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n');
    const abc = await runBuilt('check_dqlite_lock', ['--log-file', log, '--max-long-output', 'abc']);
    expect(abc.code).toBe(3);
    expect(abc.first).toMatch(/^DQLITE-LOCK UNKNOWN - --max-long-output takes a number, not 'abc' /);
    for (const value of ['-1', '1.5']) {
      const r = await runBuilt('check_dqlite_lock', ['--log-file', log, '--max-long-output', value]);
      expect(r.code, value).toBe(3);
      expect(r.stdout, value).toBe(`DQLITE-LOCK UNKNOWN - --max-long-output must be a whole number of bytes, 0 or more, not '${value}'\n`);
    }
    const none = await runBuilt('check_dqlite_lock', ['--log-file', log, '--max-long-output', '0']);
    expect(none.code).toBe(0);
    expect(none.first).toMatch(/^DQLITE-LOCK OK - /);
  });

  it('--max-long-output is the budget the long output keeps to, its marker included: 0 leaves the first line alone', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'mk8s-hostile-')), 'kine.log');
    const stamp = at(20);
    const month = stamp.toLocaleString('en-US', { month: 'short' });
    const day = String(stamp.getDate()).padStart(2, '0');
    const prefix = `${month} ${day} ${stamp.toTimeString().slice(0, 8)} k8s02 microk8s.daemon-k8s-dqlite[739]:`;
    writeFileSync(log, `${prefix} ${logrus(stamp, 'error', LOCK_TXN)}\n`);
    const whole = await runBuilt('check_dqlite_lock', ['--log-file', log, '-w', '0']);
    expect(whole.code).toBe(1);
    expect(whole.stdout.split('\n').length).toBeGreaterThan(3);
    // None asked for: none given, not a marker line saying so (what a one-line display or transport shows second).
    const none = await runBuilt('check_dqlite_lock', ['--log-file', log, '-w', '0', '--max-long-output', '0']);
    expect(none.code).toBe(1);
    expect(none.first).toMatch(/^DQLITE-LOCK WARNING - 1 'database is locked' line .* \| locked=1;0;50;0 /);
    expect(none.stdout).toBe(`${none.first}\n`);
    // Too little room for the marker: the first line alone too; room for it and no line more: the marker alone.
    const narrow = await runBuilt('check_dqlite_lock', ['--log-file', log, '-w', '0', '--max-long-output', '40']);
    expect([narrow.code, narrow.stdout]).toEqual([1, `${narrow.first}\n`]);
    const marker = await runBuilt('check_dqlite_lock', ['--log-file', log, '-w', '0', '--max-long-output', '100']);
    const long = marker.stdout.split('\n').slice(1);
    expect([marker.code, long]).toEqual([1, [expect.stringMatching(/^\.\.\. \d+ more lines? cut at 100 bytes /), '']]);
    expect(Buffer.byteLength(long.join('\n'))).toBeLessThanOrEqual(100);
  });

  it('-t takes up to 3600 seconds, 3600 included', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'mk8s-hostile-')), 'kubelite.log');
    writeFileSync(log, 'Nov 28 00:00:00 k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n');
    const most = await runBuilt('check_dqlite_lock', ['--log-file', log, '-t', '3600']);
    expect([most.code, most.first]).toEqual([0, expect.stringMatching(/^DQLITE-LOCK OK - /)]);
    const over = await runBuilt('check_dqlite_lock', ['--log-file', log, '-t', '3600.5']);
    expect([over.code, over.stdout]).toEqual([
      3,
      "DQLITE-LOCK UNKNOWN - -t/--timeout must be a number of seconds above 0 and at most 3600, not '3600.5'\n",
    ]);
  });
});

describe('durations past any use', () => {
  it('--since 100000000d is refused as a usage error, not handed to journalctl as a time before 1970', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    writeFileSync(join(dir, 'kubelite.log'), '');
    for (const since of ['100000000d', `${'9'.repeat(400)}s`]) {
      const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir, '--since', since]);
      expect(r.code, since).toBe(3);
      expect(r.stdout, since).toBe(`DQLITE-LOCK UNKNOWN - --since must be a duration of at most 3650d (ten years), not '${since}'\n`);
    }
  });
});

describe('the gate under all', () => {
  // An API server that accepts the connection and never says a word: the run reaches its deadline.
  const held: Socket[] = [];
  const stall = createServer((socket) => held.push(socket));
  afterAll(() => {
    for (const socket of held) socket.destroy();
    stall.close();
  });

  it("all's deadline makes restart-preflight's row NO-GO (CRITICAL), as its own run does, never UNKNOWN", async () => {
    await new Promise<void>((done) => stall.listen(0, '127.0.0.1', done));
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    const url = `https://127.0.0.1:${(stall.address() as { port: number }).port}`;
    const kubeconfig = writeKubeconfig(dir, url, makeCerts().ca, 'kB9xq2T7mVr4LpZ8sYd3Nw6Hc1Fj5Ga0');
    const log = join(dir, 'kubelite.log');
    writeFileSync(log, 'Nov 28 00:00:00 k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n');
    const here = await healthyNode();
    try {
      const common = [
        '--kubeconfig',
        kubeconfig,
        '--node',
        'k8s02',
        '--log-file',
        log,
        ...here.dqliteArgs,
        ...here.servicesArgs,
        '-t',
        '2',
      ];
      const env = { ...process.env, PATH: here.path };
      const alone = await runBuilt('check_restart_preflight', common, { env });
      expect(alone.code).toBe(2);
      expect(alone.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: timed out after 2s/);
      const all = await runBuilt('microk8s-checks', ['all', ...common, '--format', 'json'], { env });
      const row = (JSON.parse(all.stdout) as { check: string; state: string; summary: string }[]).find(
        (x) => x.check === 'RESTART-PREFLIGHT',
      );
      expect(row?.state).toBe('CRITICAL');
      expect(row?.summary).toMatch(/^NO-GO: cannot establish that the cluster is healthy: timed out after 2s/);
      expect(all.code).toBe(2);
    } finally {
      here.close();
    }
  });
});

describe('journal paths of the wrong kind', () => {
  it('a --journal-dir that is a file, a --journal-file that is a directory, empty or no journal: named, with what to give', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    const empty = join(dir, 'empty.journal');
    writeFileSync(empty, '');
    const text = join(dir, 'kubelite.log');
    writeFileSync(text, 'Nov 28 00:00:00 k8s01 microk8s.daemon-kubelite[1]: I1128 ok\n');
    const cases: [string[], string][] = [
      [
        ['--journal-dir', text],
        `--journal-dir ${text} is not a directory (fix: give the directory holding the .journal files, or a file with --journal-file)`,
      ],
      [['--journal-file', dir], `--journal-file ${dir} is a directory (fix: give it with --journal-dir, or name a .journal file in it)`],
      [
        ['--journal-file', empty],
        `--journal-file ${empty} is empty, not a journal file (fix: give a .journal file written by systemd-journald)`,
      ],
      [
        ['--journal-file', text],
        `--journal-file ${text} is not a journal file (it does not start with systemd's LPKSHHRH) ` +
          '(fix: give a .journal file written by systemd-journald, or read text lines with --log-file)',
      ],
    ];
    for (const [args, said] of cases) {
      const r = await runBuilt('check_dqlite_lock', args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stdout, args.join(' ')).toBe(`DQLITE-LOCK UNKNOWN - cannot read the journal: ${said}\n`);
    }
  });
});

describe('a file the check user may read, in a directory it cannot search', () => {
  // --kubeconfig /root/.kube/config under nrpe: the file is 0644, /root is not. "Give read access to it"
  // changed nothing; the directory that denies it is named, with its owner and mode, as the journal's is.
  it.skipIf(process.getuid?.() !== 0)('names the directory that denies it, with a fix that works', async () => {
    const top = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    chmodSync(top, 0o755);
    const closed = join(top, 'root-home');
    mkdirSync(closed, { mode: 0o700 });
    const kubeconfig = join(closed, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\n', { mode: 0o644 });
    const r = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig], {
      uid: 65534,
      gid: 65534,
      env: { PATH: '/usr/bin:/bin', HOME: top },
    });
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toBe(
      `NODES UNKNOWN - cannot read kubeconfig ${kubeconfig}: permission denied for user nobody: ${closed} (root:root 0700) ` +
        `cannot be searched (fix: give user nobody search access to ${closed}: sudo setfacl -m u:nobody:x ${closed}, ` +
        'or keep the kubeconfig where user nobody can reach it)',
    );
  });
});

describe('a path the check user is denied itself', () => {
  // check_certs said 'the check user needs the microk8s group' of any denied directory, root:root's
  // too, where the group changes nothing; a kubeconfig of root's 0600 'give ... read access to it'.
  it.skipIf(process.getuid?.() !== 0)('the fix is its group where the group may, else an ACL on that path', async () => {
    const top = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    chmodSync(top, 0o755);
    const certs = join(top, 'certs');
    mkdirSync(certs, { mode: 0o700 });
    const asNobody = { uid: 65534, gid: 65534, env: { PATH: '/usr/bin:/bin', HOME: top } };
    const rootOnly = await runBuilt('check_certs', ['--cert-dir', certs], asNobody);
    expect(rootOnly.code, rootOnly.stdout).toBe(3);
    expect(rootOnly.first).toBe(
      `CERTS UNKNOWN - cannot read the certificate directory ${certs}: permission denied for user nobody: it (root:root 0700) ` +
        `cannot be read (fix: give user nobody read access to ${certs}: sudo setfacl -m u:nobody:rx ${certs})`,
    );
    // As MicroK8s keeps its certs (root:microk8s 0750), here with a group nobody is not in.
    execFileSync('chgrp', ['nagios', certs]);
    chmodSync(certs, 0o750);
    const grouped = await runBuilt('check_certs', ['--cert-dir', certs], asNobody);
    expect(grouped.first).toBe(
      `CERTS UNKNOWN - cannot read the certificate directory ${certs}: permission denied for user nobody: it (root:nagios 0750) ` +
        'cannot be read (fix: add user nobody to the group nagios, which may read it: sudo usermod -aG nagios nobody, then restart nrpe)',
    );
    const kubeconfig = join(top, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\n', { mode: 0o600 });
    const file = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig], asNobody);
    expect(file.first).toBe(
      `NODES UNKNOWN - cannot read kubeconfig ${kubeconfig}: permission denied for user nobody: it (root:root 0600) cannot be read ` +
        `(fix: give user nobody read access to ${kubeconfig}: sudo setfacl -m u:nobody:r ${kubeconfig})`,
    );
  });
});

describe("MicroK8s' own kubeconfig denied to the user running the check", () => {
  // client.config is root:microk8s: joining the group is the fix, for the user the check runs as
  // (it said `usermod -aG microk8s nagios` to anyone). /var is a tmpfs of this process alone.
  it.skipIf(process.getuid?.() !== 0)('the fix names that user, by hand as under nrpe', async () => {
    const config = '/var/snap/microk8s/current/credentials/client.config';
    const script = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: sh's parameter expansion, not a template.
      'mount -t tmpfs none /var && mkdir -p "${0%/*}"',
      'echo "apiVersion: v1" > "$0" && chmod 0640 "$0" && exec "$@"',
    ].join(' && ');
    const env = { PATH: '/usr/bin:/bin', HOME: '/nonexistent' };
    const r = await runProcess(
      'unshare',
      ['-m', '/bin/sh', '-c', script, config, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', `${DIST}/check_nodes`],
      { env },
    );
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toBe(
      `NODES UNKNOWN - cannot read kubeconfig ${config}: permission denied for user nobody: it (root:root 0640) cannot be read ` +
        '(fix: add user nobody to the group microk8s, which may read it: sudo usermod -aG microk8s nobody, then restart nrpe, ' +
        'or pass --kubeconfig)',
    );
  });
});

describe('a file where a directory goes', () => {
  it('a --backend-dir or a --kubeconfig through a file: named in words, with the fix, never ENOTDIR and the path twice', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mk8s-hostile-')), 'plain');
    writeFileSync(file, '');
    const cases: [string, string[], string][] = [
      [
        'check_dqlite',
        ['--backend-dir', file],
        `DQLITE UNKNOWN - cannot read dqlite node store ${file}/info.yaml: a directory of its path is a file ` +
          '(fix: run the check on a MicroK8s node, or give --backend-dir)',
      ],
      [
        'check_nodes',
        ['--kubeconfig', join(file, 'kubeconfig')],
        `NODES UNKNOWN - cannot read kubeconfig ${file}/kubeconfig: a directory of its path is a file ` +
          `(fix: check the path given for the kubeconfig; a read-only one for the checks: apply ${RBAC_YAML}, ` +
          'then make it as docs/api.md says)',
      ],
      [
        // ssh-keyscan's `>>` cannot make a file there: the path is the fix, not the host keys.
        'check_dqlite_lock',
        ['--host', '127.0.0.1', '--ssh-port', '1', '--ssh-key', file, '--ssh-known-hosts', join(file, 'known_hosts'), '-t', '5'],
        `DQLITE-LOCK UNKNOWN - 127.0.0.1: cannot read known hosts file ${file}/known_hosts: a directory of its path is a file ` +
          '(fix: check the path given for the known hosts file)',
      ],
    ];
    for (const [command, args, said] of cases) {
      const r = await runBuilt(command, args);
      expect(r.code, command).toBe(3);
      expect(r.stdout, command).toBe(`${said}\n`);
    }
  });
});

/**
 * A control-plane node's $SNAP_DATA (no lock files) and its five units up for 30 s, past the
 * --min-uptime (UP) these tests give check_services. The stand-in stamps a start on this machine's
 * monotonic clock, which counts from its boot: units up 10 minutes were stamped below 0 on a
 * machine booted minutes before (a CI machine may be), and check_services was UNKNOWN for that.
 */
function controlPlaneNode() {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
  const snapData = join(dir, 'snap-data');
  mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  const daemons = ['k8s-dqlite', 'kubelite', 'containerd', 'cluster-agent', 'apiserver-kicker'];
  const stand = systemctlStandIn(daemons.map((d) => unit(`snap.microk8s.daemon-${d}.service`, { upFor: 30 })));
  return { dir, snapData, stand };
}
const UP = ['--min-uptime', '10s'];

describe('a state file that is no file', () => {
  it('a FIFO or a device as --state-file is left as it is, never replaced by a file (as root, /dev/null was)', async () => {
    const { dir, snapData, stand } = controlPlaneNode();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const targets: [string, (path: string) => boolean][] = [[fifo, (p) => statSync(p).isFIFO()]];
    // A copy of /dev/null's device node: what `--state-file /dev/null` run as root would have replaced.
    if (process.getuid?.() === 0) {
      const device = join(dir, 'null');
      execFileSync('mknod', ['-m', '666', device, 'c', '1', '3']);
      targets.push([device, (p) => statSync(p).isCharacterDevice()]);
    }
    for (const [target, unchanged] of targets) {
      const r = await runBuilt('check_services', ['--snap-data', snapData, ...UP, '--state-file', target, '-t', '5'], {
        env: { ...process.env, PATH: stand.path },
      });
      // UNKNOWN: samples never kept, restarts per hour never measured (docs/checks/services.md).
      expect(r.code, target).toBe(3);
      expect(r.first, target).toMatch(
        new RegExp(`^SERVICES UNKNOWN - restart counts cannot be kept in ${target} \\(it is a (pipe|device), not a file: left as it is\\)`),
      );
      expect(unchanged(target), target).toBe(true);
    }
  });
});

describe('a current directory that was removed', () => {
  it('the check runs from / instead of dying while loading with a stack and exit 1 (Nagios: WARNING)', async () => {
    const gone = mkdtempSync(join(tmpdir(), 'mk8s-gone-'));
    // A shell left in a directory removed under it, as a terminal or a cron job can be.
    const r = await runProcess(
      'sh',
      ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', gone, `${DIST}/check_dqlite_lock`, '--log-file', '-'],
      {
        input: '',
      },
    );
    // Empty standard input is the check's own UNKNOWN (the command before the pipe failed), from /.
    expect(r.first).toMatch(/^DQLITE-LOCK UNKNOWN - /);
    expect(r.code).not.toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at /m);
  });
});

describe('a state directory that cannot hold one', () => {
  it('--state-file under /proc (mkdir says ENOENT under a parent that exists) is UNKNOWN within -t, never a loop past it', async () => {
    const { snapData, stand } = controlPlaneNode();
    // Node's recursive mkdir walks back on ENOENT and forward on EEXIST: under procfs (or with
    // XDG_STATE_HOME=/proc) it spun on the main thread for good, deaf to -t and to SIGTERM.
    const state = '/proc/microk8s-checks-test/services.json';
    const started = Date.now();
    // Its own process group, so that a check stuck for good is killed with its launcher by the group's id.
    const child = spawn(`${DIST}/check_services`, ['--snap-data', snapData, ...UP, '--state-file', state, '-t', '3'], {
      env: { ...process.env, PATH: stand.path },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const stuck = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(stuck);
    expect(code).toBe(3);
    expect(stdout).toMatch(/^SERVICES UNKNOWN - restart counts cannot be kept in \/proc\/microk8s-checks-test\/services\.json \(/);
    expect(Date.now() - started).toBeLessThan(4000 + STARTUP_MS);
  });
});

describe('-t on a node slow to start the check', () => {
  // A node short of CPU (the storm itself) takes long to load the check. -t is the poller's
  // budget for the whole answer: it counted from after the loading, so a check that took 1.5 s
  // to load answered `-t 2` after 3.5 s, past check_nrpe's own timeout where NRPE gives -t 8.
  const held: Socket[] = [];
  const stall = createServer((socket) => held.push(socket));
  afterAll(() => {
    for (const socket of held) socket.destroy();
    stall.close();
  });
  /** A kubeconfig of the stalled server, and the environment of a Node held 1.5 s before the check's code runs. */
  const slowToStart = async () => {
    if (!stall.listening) await new Promise<void>((done) => stall.listen(0, '127.0.0.1', done));
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-hostile-'));
    const url = `https://127.0.0.1:${(stall.address() as { port: number }).port}`;
    const kubeconfig = writeKubeconfig(dir, url, makeCerts().ca, 'kB9xq2T7mVr4LpZ8sYd3Nw6Hc1Fj5Ga0');
    // Node itself, held before the check's code runs, as loading it takes on a starved CPU.
    const preload = join(dir, 'slow-start.cjs');
    writeFileSync(preload, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);\n');
    const runtime = join(dir, 'node');
    writeFileSync(runtime, `#!/bin/sh\nexec '${process.execPath}' --require '${preload}' "$@"\n`, { mode: 0o755 });
    return { kubeconfig, env: { ...process.env, MICROK8S_CHECKS_NODE: runtime } };
  };

  it('the deadline counts from the start of the process: a check 1.5 s in loading answers -t 3 within 3 s', async () => {
    const { kubeconfig, env } = await slowToStart();
    for (const [command, args] of [
      ['check_nodes', ['--kubeconfig', kubeconfig, '-t', '3']],
      ['microk8s-checks', ['all', '--kubeconfig', kubeconfig, '--snap-data', '/nonexistent/snap', '-t', '3', '--format', 'json']],
    ] as const) {
      const r = await runBuilt(command, [...args], { env });
      expect(r.code, command).toBe(3);
      // -t 3, not 2: the loading (1.5 s and the check's own) must leave time for a read to begin on a busy machine.
      expect(r.stdout, command).toMatch(/timed out after 3s while listing nodes/);
      // Within -t, and a second for the launcher and the printing, never the 1.5 s of loading and more on top.
      expect(r.ms, command).toBeLessThan(4000);
    }
  });

  it('a deadline that ends while the check still starts says so, not a bare "timed out"', async () => {
    const { kubeconfig, env } = await slowToStart();
    // -t 1, all of it spent loading: nothing was read, and the line says that rather than only the time.
    const alone = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig, '-t', '1'], { env });
    expect(alone.first).toMatch(/^NODES UNKNOWN - timed out after 1s while starting, before its first read$/);
    const all = await runBuilt('microk8s-checks', ['all', '--kubeconfig', kubeconfig, '--snap-data', '/nonexistent/snap', '-t', '1'], {
      env,
    });
    expect(all.stdout).toMatch(/^NODES +UNKNOWN +timed out after 1s while starting, before its first read$/m);
  });
});
