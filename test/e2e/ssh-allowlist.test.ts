// Sites restrict the checks' SSH key to the commands docs/ssh.md lists ("Commands run over SSH"),
// with a ForceCommand or an authorized_keys command= that allows only those. A check that starts
// running another command there breaks every such site, silently until a node is polled: so each
// check runs here over --host, in the configurations sites use and those that take each of its
// paths, through a real sshd whose ForceCommand records every command it receives before running it,
// and each command must be one the doc's lists hold, read from the doc itself. A line there that no
// check runs is refused too: an allowlist written from it would allow what nothing needs.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calicoNode, lease, node, nodeLease } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { at, klog, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import {
  bySystemd,
  DQLITE,
  haveJournalRemote,
  K8S01,
  K8S03,
  KUBELITE,
  lockStorm,
  makeJournal,
  on,
  type Entry,
} from '../helpers/journal.ts';
import { runBuilt, type Run } from '../helpers/run.ts';
import { healthyNode, hostUnit, onHostClocks, systemctlStandIn, type HealthyNode } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const DOC = resolve(import.meta.dirname, '../../docs/ssh.md');
const SECTION = '## Commands run over SSH';

/** A command shape of the doc: its line, and what it allows, over ' ' + the command sshd receives. */
interface Shape {
  line: string;
  allows: RegExp;
}

/** Any text of one argument as the checks quote it: no quote but the `'\''` that stands for one. */
const ANY = String.raw`(?:[^']|'\\'')+`;

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One quoted argument of a shape: its text as sent, each `<name>` any text of the argument, or,
 * for a script the section gives in full, that script quoted as the checks quote it.
 */
function argument(token: string, scripts: Map<string, string>, line: string): string {
  return token
    .split(/(<[^<>']+>)/)
    .map((part) => {
      const name = /^<(.+)>$/.exec(part)?.[1];
      if (name === undefined) return literal(part);
      if (!name.endsWith(' script')) return ANY;
      const script = scripts.get(name);
      if (script === undefined) throw new Error(`docs/ssh.md gives no ${name} for: ${line}`);
      return literal(script.replace(/'/g, `'\\''`));
    })
    .join('');
}

/**
 * A line of the lists as a RegExp: quoted arguments, `[ ... ]` that may be left out, `( a | b )`
 * one of them, `|` between choices, `...` repeating what comes before (once or more; a `[ ... ]`
 * none or more), as the section says its lists are read.
 */
function compile(line: string, scripts: Map<string, string>): RegExp {
  const tokens = [...line.matchAll(/\s*('[^']*'(?:\\''[^']*')*|\.\.\.|[[\]()|]|\S+)/g)].map((m) => m[1]!);
  let i = 0;
  const sequence = (): string => {
    let out = '';
    while (i < tokens.length && !['|', ']', ')'].includes(tokens[i]!)) out += item();
    return out;
  };
  const item = (): string => {
    const token = tokens[i++]!;
    let re: string;
    const optional = token === '[';
    if (token === '[' || token === '(') {
      const choices = [sequence()];
      while (tokens[i] === '|') {
        i++;
        choices.push(sequence());
      }
      if (tokens[i++] !== (optional ? ']' : ')')) throw new Error(`unbalanced ${token} in docs/ssh.md: ${line}`);
      re = choices.join('|');
    } else if (token.startsWith("'")) re = ` ${argument(token, scripts, line)}`;
    else throw new Error(`'${token}' is no quoted argument in docs/ssh.md: ${line}`);
    const repeated = tokens[i] === '...';
    if (repeated) i++;
    return `(?:${re})${repeated ? (optional ? '*' : '+') : optional ? '?' : ''}`;
  };
  const body = sequence();
  if (i !== tokens.length) throw new Error(`'${tokens[i]}' out of place in docs/ssh.md: ${line}`);
  return new RegExp(`^${body}$`);
}

/** The shapes docs/ssh.md's section lists: its fenced blocks, a line each; those named `<name> script` are scripts. */
function documentedShapes(): Shape[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`docs/ssh.md has no section ${SECTION}`);
  const rest = doc.slice(start + SECTION.length + 2);
  const section = rest.slice(0, rest.search(/^## |(?![\s\S])/m));
  const blocks = [...section.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ info: m[1]!, text: m[2]!.replace(/\n$/, '') }));
  const scripts = new Map(blocks.flatMap((b) => (/ script$/.test(b.info) ? [[b.info.replace(/^\S+ /, ''), b.text] as const] : [])));
  return blocks
    .filter((b) => !/ script$/.test(b.info))
    .flatMap((b) => b.text.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => ({ line, allows: compile(line, scripts) }));
}

const shapes = documentedShapes();
const allowed = (command: string) => shapes.filter((s) => s.allows.test(` ${command}`));

describe('the command shapes of docs/ssh.md', () => {
  it('are there, and allow what they show and nothing beside it', () => {
    expect(shapes.length).toBeGreaterThan(20);
    const yes = [
      `'date' '+%s.%N'`,
      `'ls' '-1A' '--' '/var/snap/microk8s/current/var/lock'`,
      `'journalctl' '--no-pager' '--all' '--output=short-unix' '--since=@1733400000.123456' ` +
        `'--unit=a.service' '--unit=b.service' '--file=/j/it'\\''s.journal' '--file=/j/2.journal' '--grep=database is locked'`,
    ];
    for (const c of yes) expect(allowed(c), c).not.toEqual([]);
    const no = [
      `'date' '+%s.%N'; reboot`,
      `'date' '+%s.%N' 'x'`,
      `'date' '+%s'`,
      `'cat' '/etc/shadow'`,
      `'ls' '-1A' '--' '/var/snap/microk8s/current/var/lock' '/root'`,
      `'journalctl' '--no-pager' '--all' '--output=short-unix' '--since=@1' '--unit=a' '--grep=database is locked' '--merge'`,
      `'journalctl' '--no-pager' '--all' '--output=short-unix' '--since=@1' '--unit=a' '--directory=/d' '--file=/f' '--grep=x'`,
      `'journalctl' '--no-pager' '--all' '--output=short-unix' '--since=@1' '--unit=a' '--grep=x'`,
      `'sh' '-c' 'reboot' 'sh' '/b/info.yaml' '/b/cluster.yaml' '/bin/dqlite' '/b/cluster.crt' '/b/cluster.key' ` +
        `'wc' 'cat' 'timeout' 'bash'`,
      `'bash' '-c' 'reboot' 'probe' '2' '8' '10.0.0.1' '19001'`,
      `'/bin/dqlite' '-s' 'file:///b/cluster.yaml' 'k8s' 'DELETE FROM kine'`,
    ];
    for (const c of no) expect(allowed(c), c).toEqual([]);
  });
});

const unavailable = sshdUnavailable() ?? (haveJournalRemote ? undefined : 'no systemd-journal-remote');
if (unavailable) console.warn(`SSH allowlist tests: ${unavailable}`);

const daemon = (name: string) => `snap.microk8s.daemon-${name}.service`;

/** 'database is locked' lines of k8s-dqlite and kubelite over the last few minutes (as ssh.test.ts). */
const storm = lockStorm;

/** kubelite at work, nothing any check looks for. */
const quiet = (ages: number[]): Entry[] =>
  ages.map((age) => ({ age, service: KUBELITE, message: klog(at(age), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') }));

const lock = (age: number): Entry => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) });

describe.skipIf(unavailable)('every command a check runs over --host is one docs/ssh.md lists', () => {
  const cluster = useCluster();
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-allow-'));
  // Each command the sshd receives, a file each (sessions run side by side).
  const received = join(dir, 'received');
  mkdirSync(received);
  // The node's systemctl, and its journalctl reading the journal the test gives as the node's own.
  const systemctl = systemctlStandIn([], 'asked', join(dir, 'systemctl'));
  const ownJournal = join(dir, 'own-journal');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const journalctl = execFileSync('sh', ['-c', 'command -v journalctl'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(bin, 'journalctl'),
    '#!/bin/sh\nown=1\nfor a; do case $a in --directory=*|--file=*) own= ;; esac; done\n' +
      `[ -n "$own" ] && set -- "--directory=$(cat '${ownJournal}')" "$@"\nexec '${journalctl}' "$@"\n`,
    { mode: 0o755 },
  );
  const login = join(dir, 'login');
  const sshd = new TestSshd({ forceCommand: login });
  let here: HealthyNode;
  let known: string;
  /** Every shape some check ran. */
  const ran = new Set<string>();

  beforeAll(async () => {
    here = await healthyNode(join(dir, 'node'));
    // The dqlite CLI there answers the free pages too.
    const voter = /Address: (\S+)/.exec(readFileSync(join(here.dqliteArgs[3]!, 'cluster.yaml'), 'utf8'))![1]!;
    writeFileSync(
      join(here.bin, 'dqlite'),
      '#!/bin/sh\nfor c; do :; done\ncase "$c" in\n' +
        `.cluster) echo '2dc171858c3155be|${voter}|voter' ;;\n.leader) echo '${voter}' ;;\n` +
        `'SELECT page_count'*) printf 'page_count\\n200\\n' ;;\n'SELECT freelist_count'*) printf 'freelist_count\\n4\\n' ;;\nesac\n`,
      { mode: 0o755 },
    );
    writeFileSync(
      login,
      `#!/bin/sh\nPATH='${systemctl.dir}:${here.bin}:${bin}':$PATH; export PATH\n` +
        `f=$(mktemp '${received}/command.XXXXXX') && printf '%s' "$SSH_ORIGINAL_COMMAND" > "$f"\n` +
        // On the clocks of a host up a day: its units can have started an hour ago (hostUnit)
        // whenever this machine booted.
        onHostClocks(),
      { mode: 0o755 },
    );
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => {
    sshd.stop();
    here?.close();
  });

  /** The node's own journal from now on: these entries (anchored: reaching back hours, unless told). */
  const ownJournalIs = (entries: Entry[], opts: { anchor?: boolean } = {}) =>
    writeFileSync(ownJournal, dirname(makeJournal(entries, mkdtempSync(join(dir, 'journal-')), opts)));

  /** The check run over SSH on 127.0.0.1; every command the node received must be one the doc lists. */
  async function over(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
    for (const f of readdirSync(received)) rmSync(join(received, f));
    const ssh = ['--host', '127.0.0.1', '--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey, '--ssh-known-hosts', known];
    // -t 30: SSH logins are slow on a loaded two-core machine.
    const r = await runBuilt(command, [...ssh, '--ssh-user', 'root', '-t', '30', ...args], { env });
    const commands = readdirSync(received).map((f) => readFileSync(join(received, f), 'utf8'));
    expect(commands.length, `${command} ran nothing there: ${r.stdout}`).toBeGreaterThan(0);
    const undocumented = commands.filter((c) => {
      const by = allowed(c);
      for (const s of by) ran.add(s.line);
      return by.length === 0;
    });
    expect(undocumented, `${command} ${args.join(' ')} ran commands docs/ssh.md does not list`).toEqual([]);
    return r;
  }

  it('check_dqlite_lock and check_kine_retries on the node journal: in a storm, quiet, begun inside the window, with --unit', async () => {
    ownJournalIs(storm());
    const locked = await over('check_dqlite_lock', []);
    expect(locked.first, locked.stdout).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines in the last 5m/);
    const kine = await over('check_kine_retries', []);
    expect(kine.code, kine.stdout).toBe(1);
    expect(kine.perf.exhausted).toBe('8;2;10;0');
    // A node up two minutes, nothing of either check's in its journal: where it begins is read
    // from its files' headers, and whether the units ever logged there is asked.
    ownJournalIs(quiet([100, 40]), { anchor: false });
    const fresh = await over('check_dqlite_lock', []);
    expect(fresh.first, fresh.stdout).toMatch(
      /^DQLITE-LOCK OK - 127\.0\.0\.1: no 'database is locked' in the last \d+s \(the journal begins inside the 5m window/,
    );
    const named = await over('check_kine_retries', ['--unit', KUBELITE.unit]);
    expect(named.code, named.stdout).toBe(0);
  });

  it("check_dqlite_lock on --journal-file and a central log host's --journal-dir, quiet and not, machines cloned or not", async () => {
    const file = makeJournal(storm(), mkdtempSync(join(dir, 'file-')));
    const read = await over('check_dqlite_lock', ['--journal-file', file]);
    expect(read.first, read.stdout).toMatch(/^DQLITE-LOCK WARNING - 127\.0\.0\.1: 12 'database is locked' lines/);
    // A central log host: k8s01 reaching back, k8s03 begun inside the window (as ssh.test.ts).
    const central = mkdtempSync(join(dir, 'remote-'));
    makeJournal(
      [1200, 200].map((age) => on(K8S01, lock(age))),
      central,
      { anchor: false, name: 'remote-k8s01.journal' },
    );
    makeJournal(
      [115, 60, 5].map((age) => on(K8S03, lock(age))),
      central,
      { anchor: false, name: 'remote-k8s03.journal' },
    );
    const machines = await over('check_dqlite_lock', ['--journal-dir', central]);
    expect(machines.first, machines.stdout).toMatch(/^DQLITE-LOCK OK - 127\.0\.0\.1: 4 'database is locked' lines .*k8s03/);
    // Machines cloned from one image, one machine id: told apart by their host names.
    const cloned = mkdtempSync(join(dir, 'remote-'));
    const k8s05 = { id: K8S01.id, host: 'k8s05' };
    makeJournal([on(K8S01, lock(1200)), on(k8s05, lock(100))], cloned, { anchor: false, name: 'remote.journal' });
    const clones = await over('check_dqlite_lock', ['--journal-dir', cloned]);
    expect(clones.first, clones.stdout).toMatch(/^DQLITE-LOCK OK - 127\.0\.0\.1: 1 'database is locked' line .*k8s05/);
    // Quiet: entries in the window, none of the check's; then one holding nothing in the window.
    const calm = await over('check_dqlite_lock', ['--journal-file', makeJournal(quiet([200, 100]), mkdtempSync(join(dir, 'file-')))]);
    expect(calm.first, calm.stdout).toMatch(/^DQLITE-LOCK OK - 127\.0\.0\.1: no 'database is locked' in the last 5m/);
    const old = makeJournal(quiet([7200]), mkdtempSync(join(dir, 'file-')), { tail: false });
    const stale = await over('check_dqlite_lock', ['--journal-file', old]);
    expect(stale.first, stale.stdout).toMatch(/^DQLITE-LOCK UNKNOWN - 127\.0\.0\.1: journal \S+ holds no entry in the window/);
  });

  it('check_services: the services the lock files name, and units named with --unit, one of them restarting', async () => {
    const all = ['k8s-dqlite', 'kubelite', 'containerd', 'cluster-agent', 'apiserver-kicker'].map(daemon);
    systemctl.set(all.map((id) => hostUnit(id, { upFor: 600 })));
    const state = () => ['--state-file', join(mkdtempSync(join(dir, 'state-')), 'services.json')];
    const services = await over('check_services', [...here.servicesArgs, ...state()]);
    expect(services.first, services.stdout).toMatch(/^SERVICES OK - 127\.0\.0\.1: 5 units active, first sample/);
    // kubelite restarted: its last words are read from the node's journal.
    systemctl.set([hostUnit(daemon('kubelite'), { upFor: 600, restarts: 2 })]);
    ownJournalIs([bySystemd(620, KUBELITE, `${daemon('kubelite')}: Scheduled restart job, restart counter is at 2.`)]);
    const named = await over('check_services', ['--unit', daemon('kubelite'), '--unit', daemon('containerd'), ...state()]);
    expect(named.first, named.stdout).toMatch(/^SERVICES OK - 127\.0\.0\.1: 2 units active, first sample/);
    expect(named.stdout).toMatch(/NRestarts 2, up .*\n {2}newest: .*restart counter is at 2\.$/m);
  });

  it("check_restart_preflight: the journal, k8s-dqlite, kubelite's start and the clocks of the node", async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    systemctl.set([hostUnit(daemon('k8s-dqlite'), { upFor: 3600 }), hostUnit(daemon('kubelite'), { upFor: 3600 })]);
    ownJournalIs(quiet([700, 30]));
    const args = ['--kubeconfig', c.kubeconfig, '--node', 'k8s02', ...here.dqliteArgs, ...here.servicesArgs];
    const r = await over('check_restart_preflight', args, { ...process.env, PATH: here.path });
    expect(r.first, r.stdout).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted/);
    const file = makeJournal(storm(), mkdtempSync(join(dir, 'file-')));
    const storming = await over('check_restart_preflight', [...args, '--journal-file', file], { ...process.env, PATH: here.path });
    expect(storming.first, storming.stdout).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: /);
    // kubelite started 4 minutes ago by the node's clocks, its wall stamp 3 hours old (the clock
    // stepped forward since): the node's boot clock against systemd's monotonic stamp tells it.
    systemctl.set([hostUnit(daemon('kubelite'), { upFor: 240, wallSince: Date.now() - 3 * 3600_000 })]);
    const stepped = await over('check_restart_preflight', args, { ...process.env, PATH: here.path });
    expect(stepped.first, stepped.stdout).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: 127\.0\.0\.1: kubelite restarted 4m\d*s? ago \(settle 10m\) \|/,
    );
  });

  it('check_dqlite: the node store, the CLI (with TLS, and through sudo) and the probes', async () => {
    const env = { ...process.env, KUBECONFIG: '', HOME: tmpdir() };
    const r = await over('check_dqlite', here.dqliteArgs, env);
    expect(r.first, r.stdout).toMatch(/^DQLITE OK - 127\.0\.0\.1: 1 voter, leader 127\.0\.0\.1:\d+, 0 unreachable/);
    const sudo = await over('check_dqlite', [...here.dqliteArgs, '--sudo'], env);
    expect(sudo.first, sudo.stdout).toMatch(/^DQLITE OK - 127\.0\.0\.1: 1 voter, leader 127\.0\.0\.1:\d+, 0 unreachable/);
  });

  it('check_dqlite_storage: the backend directory and the node store, and with --freelist the CLI', async () => {
    const free = ['--free-warning', '0', '--free-critical', '0'];
    const r = await over('check_dqlite_storage', [...here.dqliteArgs, ...free]);
    expect(r.first, r.stdout).toMatch(/^DQLITE-STORAGE OK - 127\.0\.0\.1: no snapshot yet/);
    const pages = await over('check_dqlite_storage', [...here.dqliteArgs, ...free, '--freelist']);
    expect(pages.code, pages.stdout).toBe(0);
    expect(pages.stdout).toContain('4 of 200 database pages free');
  });

  it('check_calico_routes: the routing table of the node', async () => {
    const c = cluster();
    c.api.add('pods', calicoNode({ name: 'calico-node-cp8hh', node: 'node1' }));
    const r = await over('check_calico_routes', ['--kubeconfig', c.kubeconfig, '--node', 'node1']);
    expect(r.first, r.stdout).toMatch(/^CALICO-ROUTES OK - 0 of 0 Running pods on node1 /);
    // Without --node, the host names the node itself (uname -n there): this one's own name.
    const named = hostname().toLowerCase();
    c.api.add('pods', calicoNode({ name: 'calico-node-x7k2p', node: named }));
    const asked = await over('check_calico_routes', ['--kubeconfig', c.kubeconfig]);
    expect(asked.first, asked.stdout).toMatch(new RegExp(`^CALICO-ROUTES OK - 0 of 0 Running pods on ${literal(named)} `));
  });

  it('and every command the doc lists is one a check ran above', () => {
    expect(shapes.map((s) => s.line).filter((l) => !ran.has(l))).toEqual([]);
  });
});
