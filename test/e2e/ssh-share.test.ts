// `microk8s-checks all --host` (and the shared poll cycle) reads each host over one SSH connection,
// where each check alone logs in on its own (lib/sources/ssh/share.ts): against a real OpenSSH
// sshd, counting the connections it logs.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/plugin/deadline.ts';
import { openSsh } from '../../lib/sources/ssh/open.ts';
import { SHARED_CHANNELS, SshShare } from '../../lib/sources/ssh/share.ts';
import { haveJournalRemote, lockStorm, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const unavailable = sshdUnavailable() ?? (haveJournalRemote ? undefined : 'no systemd-journal-remote');

const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
// The checks `all` runs over SSH here (no kubeconfig: the gate stops at that, calico-routes takes one host).
const OVER_SSH = ['check_dqlite_lock', 'check_kine_retries', 'check_services', 'check_dqlite', 'check_dqlite_storage'];

describe.skipIf(unavailable)('`all --host`: one SSH connection per host for every check (real sshd)', () => {
  const sshd = new TestSshd({ logins: true });
  // MaxSessions 1: one channel at a time on a connection (hardened hosts).
  const narrow = new TestSshd({ logins: true, maxSessions: 1 });
  let journal: string;
  let snapData: string;
  beforeAll(async () => {
    await Promise.all([sshd.start(), narrow.start()]);
    journal = makeJournal(lockStorm());
    snapData = mkdtempSync(join(tmpdir(), 'mk8s-snap-'));
    mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  });
  afterAll(() => {
    sshd.stop();
    narrow.stop();
  });

  const via = (d: TestSshd) => [
    ...['--host', '127.0.0.1', '--host', '127.0.0.2', '--ssh-port', String(d.port), '--ssh-key', d.clientKey],
    ...['--ssh-known-hosts', d.knownHosts(['127.0.0.1', '127.0.0.2']), '--ssh-user', 'root', '-t', '30'],
  ];
  const env = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', HOME: tmpdir() };
  const journalOf = (c: string) => (/lock|kine/.test(c) ? ['--journal-file', journal] : []);
  type Row = { check: string; code: number | null; summary: string };

  /** `all` over both hosts: its rows, and the connections the host's sshd logged meanwhile. */
  async function all(d: TestSshd): Promise<{ rows: Map<string, string>; made: string[] }> {
    const before = d.connections().length;
    const r = await runBuilt(
      'microk8s-checks',
      ['all', ...via(d), '--journal-file', journal, '--snap-data', snapData, '--format', 'json'],
      { env },
    );
    const rows = (JSON.parse(r.stdout) as Row[]).map((x) => [x.check, `${x.check} ${STATES[x.code ?? 3]} - ${x.summary}`] as const);
    return { rows: new Map(rows), made: d.connections().slice(before).sort() };
  }

  /** Each check over SSH alone: its first line without perfdata, and its connections. */
  async function alone(d: TestSshd, c: string): Promise<{ first: string; made: number }> {
    const before = d.connections().length;
    const r = await runBuilt(c, [...via(d), ...journalOf(c)], { env });
    return { first: r.first.split(' | ')[0]!, made: d.connections().length - before };
  }

  it('every check over one connection per host, each row what the check says alone (over its own)', async () => {
    const { rows, made } = await all(sshd);
    // Five checks on two hosts: ten logins before.
    expect(made).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(rows.get('DQLITE-LOCK')).toMatch(/^DQLITE-LOCK WARNING - 2 hosts: 2 WARNING/);
    for (const c of OVER_SSH) {
      const one = await alone(sshd, c);
      expect(one.made, c).toBe(2);
      expect(rows.get(one.first.split(' ')[0]!), c).toBe(one.first);
    }
  }, 120_000);

  it('a host allowing one channel at a time: each command waits for the one before, alone and in all', async () => {
    // OpenSSH counts a session until it has closed it: the command after another was refused
    // there ("Channel open failure"), alone and in all alike, UNKNOWN where the journal said WARNING.
    const { rows } = await all(narrow);
    for (const c of ['check_dqlite_lock', 'check_kine_retries']) {
      const one = await alone(narrow, c);
      expect(one.first, c).toMatch(/^(DQLITE-LOCK|KINE-RETRIES) WARNING - 2 hosts: 2 WARNING/);
      expect(rows.get(one.first.split(' ')[0]!), c).toBe(one.first);
    }
    expect([...rows.values()].join('\n')).not.toMatch(/Channel open failure/);
  }, 120_000);

  it(`a command waiting past its patience for one of the ${SHARED_CHANNELS} shared channels runs on a connection of its own`, async () => {
    const share = new SshShare();
    const deadline = new Deadline(25, () => undefined);
    const args = {
      'ssh-port': sshd.port,
      'ssh-key': sshd.clientKey,
      'ssh-known-hosts': sshd.knownHosts(['127.0.0.1']),
      'ssh-user': 'root',
    };
    const before = sshd.connections().length;
    const sink = () => new Writable({ write: (_c, _e, done) => done() });
    // Every shared channel held by a command that hangs (a journalctl on a slow disk), each of another check.
    const held = await Promise.all(Array.from({ length: SHARED_CHANNELS }, () => share.session('127.0.0.1', args, deadline)));
    const hung = held.map((s) => s.exec(['sleep', '8'], deadline.signal, sink()));
    const late = await share.session('127.0.0.1', args, deadline);
    const answer = await late.runner()(['echo', 'answered'], deadline.signal);
    expect(answer.trim()).toBe('answered');
    // The run's one connection, and the late command's own: it did not wait for a hung one to end.
    expect(sshd.connections().length - before).toBe(2);
    expect(await Promise.race([Promise.all(hung).then(() => 'ended'), Promise.resolve('still running')])).toBe('still running');
    for (const s of [...held, late]) s.close();
    await Promise.allSettled(hung);
    deadline.cancel();
  }, 60_000);

  const shareArgs = () => ({
    'ssh-port': sshd.port,
    'ssh-key': sshd.clientKey,
    'ssh-known-hosts': sshd.knownHosts(['127.0.0.1']),
    'ssh-user': 'root',
  });
  const sink = () => new Writable({ write: (_c, _e, done) => done() });

  it('a channel the host refuses (its MaxSessions) is asked for again on the one login, within the patience', async () => {
    const share = new SshShare();
    const deadline = new Deadline(25, () => undefined);
    const args = {
      ...shareArgs(),
      'ssh-port': narrow.port,
      'ssh-key': narrow.clientKey,
      'ssh-known-hosts': narrow.knownHosts(['127.0.0.1']),
    };
    const before = narrow.connections().length;
    const sessions = await Promise.all([0, 1, 2].map(() => share.session('127.0.0.1', args, deadline)));
    // Three checks' commands at once on a host counting one channel at a time: each waits for the
    // one before to close, where each refused one logged in again (a login per command, near MaxStartups).
    const answers = await Promise.all(sessions.map((s, i) => s.runner()(['sh', '-c', `sleep 0.2; echo ${i}`], deadline.signal)));
    expect(answers.map((a) => a.trim())).toEqual(['0', '1', '2']);
    expect(narrow.connections().length - before).toBe(1);
    // One that holds the channel past the others' patience: they run on a login of their own, as alone.
    const hung = sessions[0]!.exec(['sleep', '6'], deadline.signal, sink());
    await new Promise((r) => setTimeout(r, 300));
    expect((await sessions[1]!.runner()(['echo', 'late'], deadline.signal)).trim()).toBe('late');
    expect(narrow.connections().length - before).toBe(2);
    for (const s of sessions) s.close();
    await hung.catch(() => undefined);
    deadline.cancel();
  }, 60_000);

  it('one host named in capitals and in small letters is one connection (host names are case-blind, as to ssh)', async () => {
    const share = new SshShare();
    const deadline = new Deadline(25, () => undefined);
    const args = { ...shareArgs(), 'ssh-known-hosts': sshd.knownHosts(['localhost']) };
    const before = sshd.connections().length;
    const sessions = [await share.session('localhost', args, deadline), await share.session('LOCALHOST', args, deadline)];
    const answers = await Promise.all(sessions.map((s) => s.runner()(['echo', 'answered'], deadline.signal)));
    expect(answers.map((a) => a.trim())).toEqual(['answered', 'answered']);
    expect(sshd.connections().length - before).toBe(1);
    for (const s of sessions) s.close();
    deadline.cancel();
  }, 60_000);

  it.each(['shared', 'own'])(
    'a command whose time ran out as it was asked for ends then, not when it is done there (%s connection)',
    async (kind) => {
      const share = new SshShare();
      const deadline = new Deadline(25, () => undefined);
      // Its own: the abort comes as the host opens the channel, the command's request not yet sent.
      const session =
        kind === 'shared' ? await share.session('127.0.0.1', shareArgs(), deadline) : await openSsh('127.0.0.1', shareArgs(), deadline);
      // Its check's deadline passes while the host is still opening the command's channel: the
      // command was ended with it (killed there), where it ran to its end, holding one of the
      // connection's channels, a hung journalctl for the whole run.
      const stop = new AbortController();
      const asked = session.exec(['sleep', '2'], stop.signal, sink());
      stop.abort(new Error('timed out while reading'));
      await expect(asked).rejects.toThrow('timed out while reading');
      session.close();
      deadline.cancel();
    },
    60_000,
  );

  it(`a channel is given on once the host has closed it: ${SHARED_CHANNELS} commands ended, as many more run on one login`, async () => {
    const share = new SshShare();
    const deadline = new Deadline(25, () => undefined);
    const before = sshd.connections().length;
    const sessions = await Promise.all(Array.from({ length: SHARED_CHANNELS }, () => share.session('127.0.0.1', shareArgs(), deadline)));
    // Every channel held by a command running there (it ends as its channel closes: root's are not killed).
    const stops = sessions.map(() => new AbortController());
    const up: Promise<void>[] = [];
    const ended = sessions.map((s, i) => {
      let started = () => {};
      up.push(new Promise<void>((r) => (started = r)));
      const seen = new Writable({
        write: (_c, _e, done) => {
          started();
          done();
        },
      });
      return s.exec(['sh', '-c', 'echo up; exec cat'], stops[i]!.signal, seen).catch(() => undefined);
    });
    await Promise.all(up);
    // Their checks' deadlines pass together (the shared cycle: other checks go on): each channel
    // is still counted by the host until it has closed it, and one given on before that was
    // refused past MaxSessions, its command run over a login of its own.
    for (const stop of stops) stop.abort(new Error('timed out'));
    const answers = await Promise.all(sessions.map((s) => s.runner()(['echo', 'answered'], deadline.signal)));
    expect(answers.map((a) => a.trim())).toEqual(sessions.map(() => 'answered'));
    expect(sshd.connections().length - before).toBe(1);
    await Promise.all(ended);
    for (const s of sessions) s.close();
    deadline.cancel();
  }, 60_000);

  it('a command of a check that let go of the host while it waited for a channel never runs there', async () => {
    const share = new SshShare();
    const deadline = new Deadline(25, () => undefined);
    const held = await Promise.all(Array.from({ length: SHARED_CHANNELS }, () => share.session('127.0.0.1', shareArgs(), deadline)));
    const busy = held.map((s) => s.exec(['sleep', '0.5'], deadline.signal, sink()));
    const late = await share.session('127.0.0.1', shareArgs(), deadline);
    const marker = join(sshd.dir, 'late-ran');
    // Its check is done with the host (another of its reads failed) before a channel is free:
    // the command it asked for meanwhile is not run for nobody, where it ran when a channel came free.
    const asked = late.exec(['touch', marker], deadline.signal, sink());
    late.close();
    await expect(asked).rejects.toThrow(/let go/);
    await Promise.all(busy);
    await held[0]!.exec(['true'], deadline.signal, sink());
    expect(existsSync(marker)).toBe(false);
    for (const s of held) s.close();
    deadline.cancel();
  }, 60_000);
});
