// A fix said by code several checks share names only an option of the check that says it, and
// one that does what the fix says there: `check_restart_preflight --since` was 'Unknown argument'
// (d19a5e7). Each test runs the built checks as a user would and reads the first line.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node } from '../apiserver/objects.ts';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { addHealthyCluster, TOKENS, useCluster } from '../helpers/cluster.ts';
import { at, klog } from '../helpers/fixtures.ts';
import { CONTAINERD, haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { controlPlane, freshState } from '../helpers/shared-run.ts';
import { healthyNode, type HealthyNode, pathWithout, systemctlStandIn, unit } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const overSsh = sshdUnavailable() ?? (haveJournalRemote ? undefined : 'no systemd-journal-remote');
if (overSsh) console.warn(`fix-options SSH tests: ${overSsh}`);

describe.skipIf(overSsh)('a node read over SSH', () => {
  const cluster = useCluster();
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-fixopt-'));
  const sshd = new TestSshd();
  let here: HealthyNode;
  let known: string;
  beforeAll(async () => {
    here = await healthyNode();
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => {
    sshd.stop();
    here.close();
  });
  const ssh = () => ['--host', '127.0.0.1', '--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey, '--ssh-known-hosts', known];

  it("no lock files at --snap-data there: the gate's fix names --snap-data, not its --unit (which adds journal units)", async () => {
    const c = cluster();
    addHealthyCluster(c.api);
    const journal = makeJournal(
      [
        { age: 1500, service: KUBELITE, message: 'Starting kubelite' },
        { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
      ],
      mkdtempSync(join(dir, 'j-')),
    );
    const nowhere = join(dir, 'no-snap-data');
    const gate = await runBuilt(
      'check_restart_preflight',
      [
        ...['--kubeconfig', c.kubeconfig, '--node', 'k8s02', ...ssh(), '--journal-file', journal, '-t', '30', ...here.dqliteArgs],
        ...['--snap-data', nowhere],
      ],
      { env: { ...process.env, PATH: here.path } },
    );
    expect(gate.code, gate.stdout).toBe(2);
    expect(gate.first).toMatch(
      new RegExp(
        `^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: 127\\.0\\.0\\.1: ` +
          'cannot tell whether k8s-dqlite is crash-looping or when kubelite started ' +
          `\\(cannot list ${nowhere}/var/lock: .*\\(fix: run the check against a MicroK8s node, or give --snap-data\\)\\)`,
      ),
    );
    // Its --unit adds journal units; k8s-dqlite is asked of systemd whatever it names.
    expect(gate.first).not.toMatch(/--unit/);
    // check_services names the units it asks with --unit: there the fix offers it.
    const services = await runBuilt('check_services', [...ssh(), '--snap-data', nowhere, '--state-file', join(dir, 's.json')]);
    expect(services.first).toMatch(
      /\(fix: run the check against a MicroK8s node, or give --snap-data \(or --unit to name the units yourself\)\)/,
    );
  });
});

describe.skipIf(!haveJournalRemote)("the gate's journal, with --unit", () => {
  const cluster = useCluster();
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());

  it("a worker's journal (no k8s-dqlite there) with a --unit that logged: GO, not a fix naming --unit for a unit never given", async () => {
    const c = cluster();
    addHealthyCluster(c.api);
    // A worker: no-k8s-dqlite and clustered.lock; its journal has kubelite's and containerd's lines, never k8s-dqlite's.
    const worker = mkdtempSync(join(tmpdir(), 'mk8s-worker-'));
    mkdirSync(join(worker, 'var', 'lock'), { recursive: true });
    for (const lock of ['no-k8s-dqlite', 'clustered.lock']) writeFileSync(join(worker, 'var', 'lock', lock), '');
    const journal = makeJournal([
      { age: 1500, service: KUBELITE, message: 'Starting kubelite' },
      { age: 60, service: CONTAINERD, message: 'time="x" level=info msg="container started"' },
      { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
    ]);
    const args = ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', '--journal-file', journal, '--snap-data', worker, ...here.dqliteArgs];
    const plain = await runBuilt('check_restart_preflight', args, { env: { ...process.env, PATH: here.path } });
    expect(plain.first, plain.stdout).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted/);
    const gate = await runBuilt('check_restart_preflight', [...args, '--unit', CONTAINERD.unit], {
      env: { ...process.env, PATH: here.path },
    });
    // The gate reads kubelite's and k8s-dqlite's lines whatever --unit adds: k8s-dqlite was never named with --unit.
    expect(gate.first, gate.stdout).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted/);
    // A unit named with --unit that never logged there is still the typo it was.
    const typo = await runBuilt('check_restart_preflight', [...args, '--unit', 'snap.microk8s.daemon-containerdd.service'], {
      env: { ...process.env, PATH: here.path },
    });
    expect(typo.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO: .*: no entry of unit snap\.microk8s\.daemon-containerdd\.service is in the journal at all/,
    );
    expect(typo.first).toMatch(/\(fix: check the name given with --unit /);
  });

  it('a journal with neither default unit: the fix offers --unit where its units replace the defaults, not to the gate', async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    const journal = makeJournal([{ age: 60, service: CONTAINERD, message: 'time="x" level=info msg="container started"' }]);
    const none =
      /no entry of snap\.microk8s\.daemon-kubelite\.service or snap\.microk8s\.daemon-k8s-dqlite\.service is in journal \S+ at all/;
    const args = ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', '--journal-file', journal, '--snap-data', controlPlane()];
    const env = { ...freshState(), PATH: here.path };
    const gate = await runBuilt('check_restart_preflight', [...args, ...here.dqliteArgs], { env });
    expect(gate.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: /);
    expect(gate.first).toMatch(none);
    // Its --unit adds to kubelite's and k8s-dqlite's lines, which it reads whatever is named.
    expect(gate.first).toMatch(/\(fix: run it on a MicroK8s node, or read a node's journal \(--journal-dir, --journal-file, --host\)\)$/);
    const lock = await runBuilt('check_dqlite_lock', ['--journal-file', journal]);
    expect(lock.first).toMatch(none);
    expect(lock.first).toMatch(/\(--journal-dir, --journal-file, --host\), or name its units with --unit\)$/);
    // Read in one pass for both in `all`: each row as the check says it alone.
    const all = await runBuilt('microk8s-checks', ['all', ...args, ...here.dqliteArgs, '--format', 'json'], { env });
    const rows = Object.fromEntries((JSON.parse(all.stdout) as { check: string; summary: string }[]).map((r) => [r.check, r.summary]));
    expect(rows['RESTART-PREFLIGHT']).toBe(gate.first.replace(/^RESTART-PREFLIGHT CRITICAL - /, '').split(' | ')[0]);
    expect(rows['DQLITE-LOCK']).toBe(lock.first.replace(/^DQLITE-LOCK UNKNOWN - /, '').split(' | ')[0]);
  });
});

describe.skipIf(!haveJournalRemote)("the gate's journal beginning inside its window", () => {
  const cluster = useCluster();
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());

  it("its fix is for the journal it read: files given, a directory given, or the node's own", async () => {
    const c = cluster();
    addHealthyCluster(c.api);
    // Its first entry 30 s ago, in the gate's 10 minutes: what the active file holds just after a rotation.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-begun-'));
    const file = makeJournal(
      [{ age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') }],
      dir,
      { anchor: false },
    );
    const args = ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', '--snap-data', controlPlane(), ...here.dqliteArgs];
    const gate = (more: string[], path = here.path) =>
      runBuilt('check_restart_preflight', [...args, ...more], { env: { ...freshState(), PATH: path } });
    const begun = /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: .* does not reach back over the/;
    // One file of the journal given: the others hold the rest of the window.
    const files = await gate(['--journal-file', file]);
    expect(files.first).toMatch(begun);
    expect(files.first).toMatch(/\(fix: give every journal file \(--journal-dir\), and keep the journal persistent .*\)$/);
    // Its directory given, every file of it read: where it is written, it keeps no more.
    const whole = await gate(['--journal-dir', dir]);
    expect(whole.first).toMatch(begun);
    expect(whole.first).toMatch(/\(fix: where this journal is written, keep more than the window \(SystemMaxUse= in journald\.conf\)\)$/);
    // The node's own journal (journalctl without a source option reads it here): no file was given to add to.
    const own = mkdtempSync(join(tmpdir(), 'mk8s-own-journal-'));
    writeFileSync(join(own, 'journalctl'), `#!/bin/sh\nexec /usr/bin/journalctl --directory='${dir}' "$@"\n`, { mode: 0o755 });
    const system = await gate([], `${own}:${here.path}`);
    expect(system.first).toMatch(begun);
    expect(system.first).toMatch(
      /\(fix: keep the journal persistent \(Storage=persistent in journald\.conf\) with room for more than the window \(SystemMaxUse=\)\)$/,
    );
    // A log file begun 30 s ago (logrotate's new file): the fix is one to paste, no '|' (printed as '¦': it would start perfdata).
    const log = join(dir, 'syslog');
    writeFileSync(log, `${new Date(Date.now() - 30_000).toISOString()} k8s02 microk8s.daemon-kubelite[4242]: I1207 enqueueing job\n`);
    const text = await gate(['--log-file', log]);
    expect(text.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: log file .* does not reach back/,
    );
    expect(text.first).toMatch(
      /\(fix: give the lines of the whole window, the file logrotate rotated and this one in order: cat F\.1 F > W, then --log-file W\)$/,
    );
  });
});

describe('an API server named with --server', () => {
  const cluster = useCluster();

  it("unreachable: its fix sends the user to the address given with --server, not the kubeconfig's", async () => {
    const c = cluster();
    addHealthyCluster(c.api);
    for (const command of ['check_apiserver', 'check_watch_cache']) {
      const r = await runBuilt(command, ['--kubeconfig', c.kubeconfig, '--server', 'https://127.0.0.1:1']);
      expect(r.code, r.stdout).toBe(3);
      expect(r.first).toMatch(/ - 2 hosts: 1 OK, 1 UNKNOWN \(UNKNOWN: 127\.0\.0\.1:1\)/);
      // Under the first line, that server's own: its address is --server's.
      const part = r.stdout.split('\n').find((l) => l.startsWith('127.0.0.1:1: '));
      expect(part).toMatch(/^127\.0\.0\.1:1: UNKNOWN - API server https:\/\/127\.0\.0\.1:1 unreachable: /);
      expect(part).toMatch(/\(fix: check that kubelite runs \(microk8s status\) and the address given with --server\)$/);
    }
    // The kubeconfig's own server, unreachable: the kubeconfig is where its address is.
    const down = writeKubeconfig(c.dir, 'https://127.0.0.1:1', c.certs.ca, TOKENS.admin, 'kubeconfig-down');
    const own = await runBuilt('check_apiserver', ['--kubeconfig', down]);
    expect(own.first).toMatch(
      /unreachable: .*\(fix: check that kubelite runs \(microk8s status\) and the server address in the kubeconfig\)/,
    );
  });

  it("past the size bound: its fix sends the user to the address given with --server, not the kubeconfig's", async () => {
    const c = cluster();
    addHealthyCluster(c.api);
    // The same API server under another name: /readyz asked of localhost (the --server) answers without end.
    c.api.intercept = (req, res, url) => {
      if (url.pathname !== '/readyz' || !req.headers.host?.startsWith('localhost:')) return false;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(1024 * 1024, 0x2e);
      let sent = 0;
      const more = () => {
        while (sent < 80 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return true;
    };
    const given = `https://localhost:${c.api.port}`;
    const r = await runBuilt('check_apiserver', ['--kubeconfig', c.kubeconfig, '--server', given, '-t', '20']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.first).toMatch(new RegExp(`^APISERVER UNKNOWN - 2 hosts: 1 OK, 1 UNKNOWN \\(UNKNOWN: localhost:${c.api.port}\\)`));
    const part = r.stdout.split('\n').find((l) => l.startsWith(`localhost:${c.api.port}: `));
    expect(part).toMatch(/: UNKNOWN - API server https:\/\/localhost:\d+ sent more than 64 MiB for \/readyz: stopped reading/);
    expect(part).toMatch(/\(fix: check what answers at the address given with --server\)$/);
    // The kubeconfig's own server past the bound: the kubeconfig is where its address is.
    const own = await runBuilt('check_apiserver', ['--kubeconfig', writeKubeconfig(c.dir, given, c.certs.ca, TOKENS.admin, 'kc-local')]);
    expect(own.first).toMatch(/^APISERVER UNKNOWN - localhost:\d+: API server \S+ sent more than 64 MiB for \/readyz: stopped reading/);
    expect(own.first).toMatch(/\(fix: check what answers at the server address in the kubeconfig\)$/);
  });
});

/** PATH on a host without systemd's journalctl: `first`, then every other command of this PATH. */
const withoutJournalctl = (first: string): string => `${first}:${pathWithout('journalctl')}`;

describe('no journalctl on this host', () => {
  it('its fix offers --log-file to the checks that take it, never to check_services', async () => {
    const kine = await runBuilt('check_kine_retries', [], { env: { ...process.env, PATH: withoutJournalctl('/nonexistent') } });
    expect(kine.code).toBe(3);
    expect(kine.first).toBe(
      'KINE-RETRIES UNKNOWN - journalctl not found: spawn journalctl ENOENT ' +
        '(fix: install systemd (journalctl) or read lines with --log-file)',
    );
    // check_services reads a troubled unit's journal for why it exits; it reads no text lines.
    const dq = 'snap.microk8s.daemon-k8s-dqlite.service';
    const units = ['kubelite', 'containerd', 'cluster-agent', 'apiserver-kicker'].map((d) => unit(`snap.microk8s.daemon-${d}.service`));
    const stand = systemctlStandIn([unit(dq, { active: 'failed', sub: 'failed', result: 'exit-code', restarts: 4 }), ...units]);
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-fixopt-state-')), 's.json');
    const services = await runBuilt('check_services', ['--snap-data', controlPlane(), '--state-file', state], {
      env: { ...process.env, PATH: withoutJournalctl(stand.dir) },
    });
    expect(services.code, services.stdout).toBe(2);
    expect(services.first).toMatch(/^SERVICES CRITICAL - /);
    const line = services.stdout.split('\n').find((l) => l.startsWith('(journal not read: '));
    expect(line).toBe('(journal not read: journalctl not found: spawn journalctl ENOENT (fix: install systemd (journalctl)))');
    // In `all` the journal is read once for both log checks: each row offers --log-file, which each takes.
    const all = await runBuilt('microk8s-checks', ['all', '--snap-data', controlPlane(), '--format', 'json'], {
      env: { ...freshState(), PATH: withoutJournalctl(stand.dir) },
    });
    const rows = Object.fromEntries((JSON.parse(all.stdout) as { check: string; summary: string }[]).map((r) => [r.check, r.summary]));
    expect(rows['DQLITE-LOCK']).toBe(kine.first.replace(/^KINE-RETRIES UNKNOWN - /, ''));
    expect(rows['KINE-RETRIES']).toBe(kine.first.replace(/^KINE-RETRIES UNKNOWN - /, ''));
  });
});

describe('a --unit that is no systemd unit name', () => {
  it('is a usage error naming --unit in every check that takes it: never "where systemd runs", never the gate\'s NO-GO', async () => {
    for (const command of ['check_services', 'check_dqlite_lock', 'check_kine_retries', 'check_restart_preflight']) {
      const r = await runBuilt(command, ['--unit', 'a b.service']);
      expect(r.first, command).toMatch(/^[A-Z-]+ UNKNOWN - --unit must be a systemd unit name .*, not 'a b\.service' \(fix: see /);
      expect(r.code, command).toBe(3);
    }
  });
});
