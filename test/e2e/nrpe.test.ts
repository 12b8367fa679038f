import { REGISTRY } from '../../checks/registry.ts';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  rmSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommonArgs } from '../../lib/plugin/runner.ts';
import { certFile } from '../apiserver/certs.ts';
import { calicoNode, deployment, job, lease, node, pod, replicaSet, nodeLease } from '../apiserver/objects.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, makeJournal } from '../helpers/journal.ts';
import { runProcess } from '../helpers/run.ts';
import { healthyNode, type HealthyNode } from '../helpers/standins.ts';
import { CHECK_NRPE, NRPE, waitForNrpe, writeNrpeConfig } from '../helpers/nrpe.ts';
import { freePort } from '../helpers/sshd.ts';
import { nagiosIds } from '../helpers/users.ts';
import { PLACEMENT, servicesOf } from '../helpers/placement.ts';
import { until } from '../helpers/wait.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NAGIOS = '/usr/sbin/nagios4';

interface ServiceStatus {
  state: number;
  output: string;
  long: string;
  checked: boolean;
}

/** servicestatus blocks of Nagios' status.dat, by service_description. */
function parseStatus(text: string): Record<string, ServiceStatus> {
  const out: Record<string, ServiceStatus> = {};
  for (const block of text.split(/\n(?=\w+ \{)/)) {
    if (!block.startsWith('servicestatus {')) continue;
    const field = (k: string) => new RegExp(`^\\s*${k}=(.*)$`, 'm').exec(block)?.[1] ?? '';
    out[field('service_description')] = {
      state: Number(field('current_state')),
      output: field('plugin_output'),
      long: field('long_plugin_output'),
      checked: field('has_been_checked') === '1',
    };
  }
  return out;
}
const CFG = readFileSync(join(ROOT, 'nrpe/microk8s-checks.cfg'), 'utf8');
const COMMANDS = [...CFG.matchAll(/^command\[([^\]]+)\]=(.*)$/gm)].map((m) => ({ name: m[1]!, line: m[2]! }));
/** The service of nrpe/nagios for an NRPE command: check_microk8s_dqlite_lock, microk8s-dqlite-lock. */
const serviceOf = (command: string) => command.replace('check_microk8s_', 'microk8s-').replace(/_/g, '-');

/**
 * Deadlines for the Nagios core's comparison, in seconds. The project's -t 8 under check_nrpe's
 * -t 10 is a node's budget (the slow API test holds the plugin to it). On a CI machine loaded
 * several times over its two cores, one shared run of seventeen checks, answered by a test API
 * server in this very process, took longer: the core then rightly showed "timed out after 8s",
 * "no answer from the shared poll cycle within -t (8s)" or "CHECK_NRPE: Socket timeout", where the
 * check run alone moments later answered. What the core is compared on is what it shows, not how
 * fast: each deadline keeps its place (check -t < check_nrpe -t < nrpe's command_timeout 60 <
 * Nagios' service_check_timeout), with room. `cycle` bounds the wait for the core's one cycle.
 */
const ROOM = { check: 30, checkNrpe: 40, nagios: 90, cycle: 150 };

/**
 * A rendered command line with ROOM's -t. check_apiserver judges how long /readyz takes: timed on
 * a machine this loaded, its -w 1 -c 5 would judge the machine, one moment against the next.
 */
function withRoom(argv: string[]): string[] {
  const apiserver = argv.some((a) => a.endsWith('/check_apiserver'));
  const room: Record<string, string | undefined> = apiserver
    ? { '-t': String(ROOM.check), '-w': '10', '-c': '20' }
    : { '-t': String(ROOM.check) };
  return argv.map((a, i) => (Object.hasOwn(room, argv[i - 1]!) ? room[argv[i - 1]!]! : a));
}

describe('nrpe/ definitions', () => {
  it('define an NRPE command, a Nagios service and an Icinga 2 service for every check', () => {
    const checks = REGISTRY.map((e) => e.command);
    const nagios = readFileSync(join(ROOT, 'nrpe/nagios/microk8s-checks.cfg'), 'utf8');
    const icinga = readFileSync(join(ROOT, 'nrpe/icinga2/microk8s-checks.conf'), 'utf8');
    for (const check of checks) {
      const cmd = COMMANDS.find((c) => c.line.includes(`/${check} `));
      expect(cmd, check).toBeDefined();
      expect(cmd!.line).toMatch(/ -t 8( |$)/);
      expect(nagios).toContain(`check_nrpe_microk8s!${cmd!.name}\n`);
      expect(icinga).toContain(`vars.nrpe_command = "${cmd!.name}"`);
    }
  });

  it("the Nagios example's comments name the thresholds its NRPE commands pass, no others", () => {
    const nagios = readFileSync(join(ROOT, 'nrpe/nagios/microk8s-checks.cfg'), 'utf8');
    let named = 0;
    // Each service with the comment lines right above it.
    for (const m of nagios.matchAll(/((?:^#.*\n)+)define service \{\n(?:(?!\}\n).*\n)*?\s+check_command\s+check_nrpe_microk8s!(\w+)\n/gm)) {
      const comment = m[1]!.replace(/^# ?/gm, '').replace(/\n/g, ' ');
      const line = COMMANDS.find((c) => c.name === m[2])!.line.split(' ');
      for (const [word, flag] of [
        ['WARNING', '-w'],
        ['CRITICAL', '-c'],
      ] as const) {
        const said = new RegExp(`${word} (?:at|above) (\\d+)`).exec(comment)?.[1];
        if (said === undefined) continue;
        named++;
        expect(said, `${m[2]}: ${comment}`).toBe(line[line.indexOf(flag) + 1]);
      }
    }
    expect(named).toBeGreaterThan(0);
  });

  it('define an Icinga 2 CheckCommand for every check, with every option of the check as an argument, and an agent service', async () => {
    const conf = readFileSync(join(ROOT, 'nrpe/icinga2/commands.conf'), 'utf8');
    const services = readFileSync(join(ROOT, 'nrpe/icinga2/agent-services.conf'), 'utf8');
    for (const entry of REGISTRY) {
      const command = `microk8s_${entry.command.replace(/^check_/, '')}`;
      expect(conf, command).toContain(`command = [ PluginDir + "/${entry.command}" ]`);
      const args = argumentsOf(conf, command);
      expect(args, command).toEqual(expect.arrayContaining(['-w', '-c', ...(await optionsOf(entry)).map((k) => `--${k}`)]));
      expect(services).toContain(`check_command = "${command}"`);
    }
  });
});

describe('Icinga 2 variables', () => {
  // docs/icinga2.md: an option that means the same to every check has one variable (the dqlite
  // CLI's --sudo too: one vars.microk8s_dqlite_sudo on a node whose cluster.key is root-only covers
  // check_dqlite, check_leases, check_dqlite_storage and the gate); any other is the check's own,
  // so a variable names one option, and an option given by two checks is one variable or each one's own.
  it('one variable per shared option, and one option per variable', () => {
    const conf = readFileSync(join(ROOT, 'nrpe/icinga2/commands.conf'), 'utf8');
    const uses: { command: string; option: string; variable: string }[] = [];
    for (const block of conf.split(/^object CheckCommand /m).slice(1)) {
      const command = /^"(microk8s_\w+)"/.exec(block)![1]!;
      for (const m of block.matchAll(/^ {4}"(-[^"]+)" = \{\n\s+(?:value|set_if) = "\$(microk8s_\w+)\$"/gm))
        uses.push({ command, option: m[1]!, variable: m[2]! });
    }
    const commandsOf = (variable: string) => new Set(uses.filter((u) => u.variable === variable).map((u) => u.command));
    const byVariable = new Map<string, Set<string>>();
    const byOption = new Map<string, Set<string>>();
    for (const { command, option, variable } of uses) {
      (byVariable.get(variable) ?? byVariable.set(variable, new Set()).get(variable)!).add(option);
      // A check's own: its name's prefix and no other check's; else one variable the checks share.
      const own = commandsOf(variable).size === 1 && variable.startsWith(`${command}_`) ? 'own' : variable;
      (byOption.get(option) ?? byOption.set(option, new Set()).get(option)!).add(own);
    }
    for (const [variable, options] of byVariable) expect([...options], variable).toHaveLength(1);
    // Shared or each check's own, never a mix (the gate once borrowed check_dqlite's --sudo).
    for (const [option, kinds] of byOption) if (!['-w', '-c'].includes(option)) expect([...kinds], option).toHaveLength(1);
    expect(byOption.get('--sudo')).toEqual(new Set(['microk8s_dqlite_sudo']));
  });
});

const NAGIOS_EXAMPLE = readFileSync(join(ROOT, 'nrpe/nagios/microk8s-checks.cfg'), 'utf8');

/** A Nagios host in the example's hostgroups (always-up: no host check is run). */
const nagiosHost = (name: string, address: string, hostgroups: string[]) =>
  `define host {\n    use             linux-server\n    host_name       ${name}\n    address         ${address}\n` +
  `    hostgroups      ${hostgroups.join(',')}\n    check_command   return-ok\n}\n`;
const RETURN_OK = 'define command {\n    command_name    return-ok\n    command_line    /bin/true\n}\n';

/**
 * A nagios.cfg of Debian's object templates and `files`, with everything the core writes under
 * `dir`: the one place both Nagios tests take their main config from.
 */
const nagiosMainConfig = (dir: string, files: string[], extra: string[] = []) =>
  [
    ...['templates', 'timeperiods', 'contacts', 'commands'].map((f) => `cfg_file=/etc/nagios4/objects/${f}.cfg`),
    ...files.map((f) => `cfg_file=${f}`),
    `log_file=${dir}/nagios.log`,
    `status_file=${dir}/status.dat`,
    `object_cache_file=${dir}/objects.cache`,
    `precached_object_file=${dir}/objects.precache`,
    `temp_file=${dir}/nagios.tmp`,
    `temp_path=${dir}`,
    `lock_file=${dir}/nagios.lock`,
    `check_result_path=${dir}/checkresults`,
    `state_retention_file=${dir}/retention.dat`,
    'retain_state_information=0',
    'check_external_commands=0',
    'use_syslog=0',
    'enable_notifications=0',
    'enable_flap_detection=0',
    ...extra,
    '',
  ].join('\n');

/** `nagios4 -v -p`: the example verified by the real core, and the services it gave each host (its precached objects). */
function nagiosServices(hosts: string): { ok: boolean; out: string; byHost: Record<string, string[]> } {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-nagios-'));
  mkdirSync(join(dir, 'checkresults'));
  // The core reads its config, and writes the precache, as nagios (nagios_user), even under -v.
  chmodSync(dir, 0o755);
  const nagios = nagiosIds();
  if (nagios) for (const d of [dir, join(dir, 'checkresults')]) chownSync(d, nagios.uid, nagios.gid);
  writeFileSync(join(dir, 'microk8s-checks.cfg'), NAGIOS_EXAMPLE);
  writeFileSync(join(dir, 'hosts.cfg'), hosts + RETURN_OK);
  const cfg = join(dir, 'nagios.cfg');
  writeFileSync(cfg, nagiosMainConfig(dir, [join(dir, 'hosts.cfg'), join(dir, 'microk8s-checks.cfg')]));
  try {
    const out = execFileSync(NAGIOS, ['-v', '-p', cfg], { encoding: 'utf8', stdio: 'pipe' });
    const byHost: Record<string, string[]> = {};
    for (const block of readFileSync(join(dir, 'objects.precache'), 'utf8').split(/\n(?=define )/)) {
      if (!block.startsWith('define service {')) continue;
      const field = (k: string) => new RegExp(`^\\s*${k}\\s+(.*)$`, 'm').exec(block)?.[1] ?? '';
      const host = field('host_name');
      byHost[host] = [...(byHost[host] ?? []), field('service_description')];
    }
    for (const list of Object.values(byHost)) list.sort();
    return { ok: true, out, byHost };
  } catch (err) {
    return { ok: false, out: String((err as { stdout?: string }).stdout ?? err), byHost: {} };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(NAGIOS)) console.warn(`Nagios 4 example tests: no ${NAGIOS} here (apt-get install nagios4-core); skipped`);
describe.skipIf(!existsSync(NAGIOS))('the Nagios 4 example, verified by the real core (nagios4 -v)', () => {
  it('gives a worker only the checks that apply there, control-plane nodes theirs, and the cluster checks to one node', () => {
    const r = nagiosServices(
      nagiosHost('k8s01', '10.0.0.11', ['microk8s-nodes', 'microk8s-cluster-checks']) +
        nagiosHost('k8s02', '10.0.0.12', ['microk8s-nodes']) +
        nagiosHost('k8s04', '10.0.0.14', ['microk8s-nodes', 'microk8s-workers']),
    );
    expect(r.ok, r.out).toBe(true);
    // Nothing for an admin to wonder about in the example's own objects.
    expect(r.out).not.toMatch(/^Warning: Service/m);
    // Every check has a place, and every service of the example is in the table.
    expect(Object.keys(PLACEMENT).sort()).toEqual(COMMANDS.map((c) => serviceOf(c.name)).sort());
    expect(r.byHost.k8s01).toEqual(servicesOf('control plane with the cluster checks'));
    expect(r.byHost.k8s02).toEqual(servicesOf('control plane'));
    // No dqlite, no kube-apiserver of its own: none of their services (UNKNOWN or NO-GO for good there).
    expect(r.byHost.k8s04).toEqual(servicesOf('worker'));
    expect(r.byHost.k8s04).not.toContain('microk8s-dqlite');
  });

  it('verifies for a cluster with no worker too (the workers hostgroup left empty)', () => {
    const r = nagiosServices(
      nagiosHost('k8s01', '10.0.0.11', ['microk8s-nodes', 'microk8s-cluster-checks']) +
        nagiosHost('k8s02', '10.0.0.12', ['microk8s-nodes']),
    );
    expect(r.ok, r.out).toBe(true);
    expect(r.byHost.k8s02).toEqual(servicesOf('control plane'));
  });

  it('says nothing when no node is given the cluster checks, and none has them (why the example and docs/nrpe.md warn)', () => {
    const r = nagiosServices(nagiosHost('k8s01', '10.0.0.11', ['microk8s-nodes']) + nagiosHost('k8s02', '10.0.0.12', ['microk8s-nodes']));
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toMatch(/Total Errors: +0/);
    expect(Object.values(r.byHost).flat()).not.toContain('microk8s-nodes');
    expect(r.byHost.k8s01).toEqual(servicesOf('control plane'));
  });

  it('fails on a host in a hostgroup the example does not define (so a passing verification means something)', () => {
    const r = nagiosServices(nagiosHost('k8s04', '10.0.0.14', ['microk8s-nodes', 'microk8s-wrokers']));
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/microk8s-wrokers/);
  });
});

/** Every option of a check, as its --help lists it (aliases and -h/-V aside). */
async function optionsOf(entry: (typeof REGISTRY)[number]): Promise<string[]> {
  const def = (await entry.load()).check;
  const y = def.options(yargs([]) as unknown as Argv<CommonArgs>) as unknown as {
    getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> };
  };
  const o = y.getOptions();
  const aliases = new Set(Object.values(o.alias).flat());
  return Object.keys(o.key).filter((k) => !['help', 'version'].includes(k) && !aliases.has(k));
}

/** The argument keys of one CheckCommand in commands.conf. */
function argumentsOf(conf: string, command: string): string[] {
  const start = conf.indexOf(`object CheckCommand "${command}" {`);
  if (start === -1) return [];
  const body = conf.slice(start, conf.indexOf('\n}\n', start));
  return [...body.matchAll(/^ {4}"(-[^"]+)" = \{/gm)].map((m) => m[1]!);
}

/**
 * A first line with the figures that change from one moment to the next masked: ages and
 * request times (lease renew ages, readyz time, the time since the previous run), the free space
 * of the disk the tests write to, and what of a fixed journal still falls in "the last minute"
 * as the clock moves on. Everything else must be the same.
 */
const timeless = (first: string) =>
  first
    .replace(/(_age|_time|uptime_\w+)=[\d.]+s/g, '$1=Ns')
    // readyz's time on the first line as well as in perfdata ('readyz 0.017s', since e1328c0 without a space).
    .replace(/\breadyz \d+\.\d{3}s\b/g, 'readyz Ns')
    .replace(/since the previous run \S+ ago/g, 'since the previous run N ago')
    .replace(/(\d+ restarts?) in \d[\dhms]*/g, '$1 in N')
    .replace(/free_pct=[\d.]+%/g, 'free_pct=N%')
    .replace(/ free=\d+B/g, ' free=NB')
    // The WARNING's own words first: the figure after "% free on" is gone once the next line has run.
    .replace(/only [\d.]+% free on (\S+) \([\d.]+ MB\)/g, 'only N% free on $1 (N MB)')
    .replace(/[\d.]+% free on/g, 'N% free on')
    .replace(/\d+ in the last minute(, (rising|falling|steady))?/g, 'N in the last minute')
    // An age in words ("newest bind 1h0m ago") moves on between the direct run and Nagios' own.
    .replace(/\b(\d+[dhms])+ ago\b/g, 'N ago')
    // The gate's first blocker and its NO-GO are compared; how many more it found can differ when
    // its shared run, with sixteen other checks in one process on a loaded machine, runs out of a
    // part of -t (each such part is one more "cannot tell", a blocker of its own).
    .replace(/\(\+\d+ more\)$/, '(+N more)');

const ids = nagiosIds();
const unavailable = !ids
  ? 'needs root and the nagios user (apt-get install nagios-nrpe-server)'
  : !existsSync(NRPE) || !existsSync(CHECK_NRPE)
    ? 'needs nrpe and check_nrpe (nagios-nrpe-server, nagios-nrpe-plugin)'
    : !haveJournalRemote
      ? 'needs systemd-journal-remote'
      : undefined;
if (unavailable) console.warn(`NRPE tests: ${unavailable}`);

describe.skipIf(unavailable)('through the real nrpe daemon and check_nrpe', () => {
  let c: TestCluster;
  let nrpe: ChildProcess;
  let port: number;
  let rendered: { name: string; argv: string[] }[];
  let here: HealthyNode;
  let renewing: NodeJS.Timeout | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-nrpe-'));
  const cache = join(dir, 'cache');
  const answers = join(cache, 'microk8s-checks', 'cycle', 'results');
  const journal = join(dir, 'journal', 'system.journal');
  /**
   * An nrpe daemon serving `commands`, its config, pid file and log in `home`. It runs as nagios
   * (nrpe refuses root) with the systemd-journal group; the shared cycle's answers live under the
   * nagios user's cache on a node, here under `cacheDir`.
   */
  const startNrpe = async (home: string, cacheDir: string, commands: { name: string; argv: string[] }[]) => {
    mkdirSync(home, { recursive: true });
    chownSync(home, ids!.uid, ids!.gid);
    mkdirSync(cacheDir, { mode: 0o700 });
    chownSync(cacheDir, ids!.uid, ids!.gid);
    writeFileSync(join(home, 'commands.cfg'), commands.map((r) => `command[${r.name}]=${r.argv.join(' ')}\n`).join(''));
    chmodSync(join(home, 'commands.cfg'), 0o644);
    const port = await freePort();
    writeNrpeConfig(join(home, 'nrpe.cfg'), port, home, [
      `log_file=${home}/nrpe.log`,
      'connection_timeout=300',
      'debug=0',
      'keep_env_vars=XDG_CACHE_HOME',
      `include=${home}/commands.cfg`,
    ]);
    const daemon = spawn(NRPE, ['-c', join(home, 'nrpe.cfg'), '-f'], {
      uid: ids!.uid,
      gid: ids!.journalGid,
      stdio: 'ignore',
      env: { ...process.env, XDG_CACHE_HOME: cacheDir },
    });
    try {
      await waitForNrpe(port);
    } catch (err) {
      daemon.kill();
      throw err;
    }
    return { port, daemon };
  };

  /**
   * The journal checks' fixture, stamped relative to now: written afresh before each comparison (a
   * loaded machine reaches the later ones minutes after beforeAll). Every line is within a minute
   * of the writing, so none leaves the 5-minute windows (--since 5m, the gate's own) for four
   * minutes: a line leaving between a shared run and the run alone after it gave "5 'database is
   * locked' lines" against "4". Written aside and renamed over the old journal, so a reader sees
   * one whole journal or the other.
   */
  const writeJournal = () => {
    const aside = mkdtempSync(join(dir, 'journal-'));
    const file = makeJournal(
      [10, 15, 25, 35, 45, 55].map((age) => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) })),
      aside,
    );
    chownSync(file, 0, ids!.journalGid);
    chmodSync(file, 0o640);
    renameSync(file, journal);
    rmSync(aside, { recursive: true, force: true });
  };
  /** The check run alone, as a person would: its command line without --cycle. */
  const alone = (argv: string[]) => {
    const own = argv.filter((a) => !/^--cycle=\d+$/.test(a));
    return runProcess(own[0]!, own.slice(1), { uid: ids!.uid, gid: ids!.journalGid, env: { PATH: '/usr/bin:/bin' } });
  };

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    // make install, as an admin would, into a staging root
    execFileSync('make', ['-s', '-C', ROOT, 'install', `DESTDIR=${dir}/root`], { stdio: 'pipe' });
    const plugins = `${dir}/root/usr/local/lib/nagios/plugins`;
    mkdirSync(dirname(journal));
    chmodSync(dirname(journal), 0o755);
    writeJournal();
    c = await startCluster();
    c.api.add(
      'jobs',
      ...Array.from({ length: 60 }, (_, i) => job({ namespace: 'ops', name: `backup-${i}`, state: 'complete', finishedAgo: 7200 })),
    );
    const d = deployment({ namespace: 'web', name: 'frontend', generation: 5, observedGeneration: 4, specChangedAgo: 900 });
    const rs = replicaSet(d, 1);
    c.api.add('deployments', d);
    c.api.add('replicasets', rs);
    c.api.add(
      'pods',
      pod({
        namespace: 'web',
        name: `${rs.metadata.name}-x7k2p`,
        node: 'node1',
        ip: '10.1.73.90',
        owner: { kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid },
      }),
      // Calico's node agent: the cluster runs Calico (check_calico_routes judges the pod's route).
      calicoNode({ name: 'calico-node-cp8hh', node: 'node1' }),
    );
    c.api.add('nodes', node({ name: 'node1', ip: '10.0.0.11' }), node({ name: 'node2', ip: '10.0.0.12' }));
    // Renewed every 5 s as live controllers and kubelets do: on a loaded machine this file runs
    // past a lease's 60 s, and a lease gone stale between two runs is a different cluster.
    const renew = () => {
      c.api.clear('leases');
      c.api.add(
        'leases',
        lease('kube-controller-manager', 'node1'),
        lease('kube-scheduler', 'node2'),
        nodeLease('node1'),
        nodeLease('node2'),
      );
    };
    renew();
    renewing = setInterval(renew, 5000);
    chmodSync(c.dir, 0o755);

    // Not a MicroK8s node: systemd and the dqlite CLI are stand-ins (test/helpers/standins.ts).
    here = await healthyNode(join(dir, 'node'));
    const onNode = `/usr/bin/env PATH=${here.bin}:/usr/bin:/bin`;

    // A node's certificate directory, readable by the nagios user (the microk8s group on a node).
    const certDir = join(dir, 'certs');
    mkdirSync(certDir, { mode: 0o755 });
    for (const name of ['ca.crt', 'server.crt', 'front-proxy-client.crt']) certFile(certDir, name, 400, name, dir);

    // The project's own definitions, rendered for this test's paths.
    rendered = COMMANDS.map(({ name, line }) => {
      let l = line.replaceAll('/usr/local/lib/nagios/plugins/', `${plugins}/`).replaceAll('/etc/nagios/microk8s.kubeconfig', c.kubeconfig);
      if (/check_(dqlite_lock|kine_retries|restart_preflight) /.test(l)) l += ` --journal-dir ${dirname(journal)}`;
      if (/check_(calico_routes|restart_preflight) /.test(l)) l += ' --node node1';
      // leaseTransitions are remembered per user; keep the test's own state apart.
      if (l.includes('check_leases ')) l += ` --state-file ${dir}/run/leases.json`;
      if (l.includes('check_pod_restarts ')) l += ` --state-file ${dir}/run/pod-restarts.json`;
      if (l.includes('check_certs ')) l += ` --cert-dir ${certDir}`;
      if (/check_(services|restart_preflight) /.test(l)) l = `${onNode} ${l}`;
      if (l.includes('check_services ')) l += ` ${here.servicesArgs.join(' ')} --state-file ${dir}/run/services.json`;
      if (/check_(dqlite|restart_preflight) /.test(l)) l += ` ${here.dqliteArgs.join(' ')}`;
      if (l.includes('check_dqlite_storage ')) l += ` --backend-dir ${here.dqliteArgs[3]}`;
      return { name, argv: l.split(' ') };
    });
    const run = join(dir, 'run');
    mkdirSync(run);
    chownSync(run, ids!.uid, ids!.gid);
    // check_pod_restarts judges growth from its second run on: its first run is done here.
    const restarts = rendered.find((r) => r.argv[0]!.endsWith('/check_pod_restarts'))!;
    // (Not spawnSync: the test API server answers from this very process.)
    const primed = await alone(restarts.argv);
    expect(primed.stdout).toMatch(/^POD-RESTARTS OK - .*restarts counted from now on/);
    // check_services measures restarts per hour from its second run on, too.
    const services = await alone(rendered.find((r) => r.argv.some((a) => a.endsWith('/check_services')))!.argv);
    expect(services.stdout).toMatch(/^SERVICES OK - .*first sample/);
    ({ port, daemon: nrpe } = await startNrpe(run, cache, rendered));
  }, 120_000);

  afterAll(async () => {
    clearInterval(renewing);
    here?.close();
    nrpe?.kill();
    await c?.close();
    // The installed plugins carry their own Node runtime: 130 MB a run, left behind otherwise.
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'every check answers through check_nrpe (the shared cycle) with the same first line and exit code as run alone',
    async () => {
      // Every command shares the cycle (check_apiserver's readyz is timed on a thread of its own there).
      expect(rendered.filter((r) => !r.argv.includes('--cycle=55')).map((r) => r.name)).toEqual([]);
      writeJournal();
      for (const { name, argv } of rendered) {
        const direct = await alone(argv);
        const polled = await runProcess(CHECK_NRPE, ['-H', '127.0.0.1', '-p', String(port), '-t', '30', '-c', name]);
        // Same first line; only times measured a moment apart may differ.
        expect(timeless(polled.first), name).toBe(timeless(direct.first));
        expect(polled.code, name).toBe(direct.code);
        expect(direct.code, `${name}: ${direct.first}`).not.toBe(3);
      }
      // The answers were served from shared runs: one per command line that shares the cycle.
      expect(readdirSync(answers).filter((f) => /^[0-9a-f]{64}$/.test(f))).toHaveLength(rendered.length);
      // Each check alone within its -t 8 and each poll within check_nrpe's -t 30: seventeen of each
      // took over 90 s on a loaded machine.
    },
    COMMANDS.length * 40_000,
  );

  it('a shared answer is served while fresh, and never once past its maximum age', async () => {
    const file = readdirSync(answers)
      .map((f) => join(answers, f))
      .find((f) => readFileSync(f, 'utf8').split('\n')[3]!.startsWith('NODES '))!;
    const [magic, boot] = readFileSync(file, 'utf8').split(' ');
    const key = file.slice(file.lastIndexOf('/') + 1);
    // Begun `age` seconds ago on the boot clock (the launcher's, /proc/uptime).
    const begun = (age: number) => Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100) - age * 100;
    const answer = (age: number, text: string) => `${magic} ${boot} ${begun(age)} 0 nagios 1\n\n\n${text}\nend ${key}\n`;
    const poll = () => runProcess(CHECK_NRPE, ['-H', '127.0.0.1', '-p', String(port), '-t', '30', '-c', 'check_microk8s_nodes']);
    writeFileSync(file, answer(25, 'NODES OK - FROM THE SHARED RUN'));
    expect((await poll()).first).toBe('NODES OK - FROM THE SHARED RUN');
    for (const age of [55, 56]) {
      writeFileSync(file, answer(age, 'NODES OK - AN OLD ANSWER'));
      const r = await poll();
      expect(r.first).toMatch(/^NODES OK - 2 nodes, all Ready \|/);
      expect(readFileSync(file, 'utf8')).not.toContain('AN OLD ANSWER');
    }
  }, 60_000);

  it("a slow API answers with the plugin's own UNKNOWN, not CHECK_NRPE: Socket timeout", async () => {
    // No fresh shared answer: this poll makes the shared run, under the slow API.
    for (const f of readdirSync(answers)) rmSync(join(answers, f), { force: true });
    c.api.delayMs = 20_000;
    try {
      const r = await runProcess(CHECK_NRPE, ['-H', '127.0.0.1', '-p', String(port), '-c', 'check_microk8s_stale_jobs']);
      expect(r.code).toBe(3);
      expect(r.first).toMatch(/^STALE-JOBS UNKNOWN - timed out after 8s while listing Jobs/);
    } finally {
      c.api.delayMs = 0;
    }
    // The shared run still evaluating the other lines in the background ends too, each line within
    // its -t (and leaves the machine to the next tests).
    const claims = join(cache, 'microk8s-checks', 'cycle', 'claims');
    await until(
      () => `the shared run begun under the slow API to give up its claims (left: ${readdirSync(claims).join(', ')})`,
      () => (readdirSync(claims).length === 0 ? true : undefined),
      { timeoutMs: 60_000 },
    );
  }, 90_000);

  if (!unavailable && !existsSync(NAGIOS)) console.warn(`Nagios 4 core test: no ${NAGIOS} here (apt-get install nagios4-core); skipped`);
  it.skipIf(!existsSync(NAGIOS))(
    'a real Nagios 4 core with nrpe/nagios examples: one cycle, states in status.dat',
    async () => {
      const ng = join(dir, 'nagios');
      mkdirSync(join(ng, 'checkresults'), { recursive: true });
      chownSync(ng, ids!.uid, ids!.gid);
      chownSync(join(ng, 'checkresults'), ids!.uid, ids!.gid);
      // The same command lines with room in their deadlines (ROOM), served by an nrpe of this
      // test's own with a cache of its own: its one cycle owes nothing to the earlier tests' answers
      // and claims (the slow API test's background run may still be at work).
      const roomy = rendered.map(({ name, argv }) => ({ name, argv: withRoom(argv) }));
      expect(roomy.filter((r) => !r.argv.join(' ').includes(` -t ${ROOM.check}`)).map((r) => r.name)).toEqual([]);
      writeJournal();
      const own = await startNrpe(join(ng, 'nrpe'), join(ng, 'cache'), roomy);
      // The project's example, pointed at this test's nrpe port, with check_nrpe's -t as roomy.
      const example = NAGIOS_EXAMPLE;
      const checkNrpe = 'check_nrpe -H $HOSTADDRESS$ -t 10 ';
      expect(example).toContain(checkNrpe);
      writeFileSync(
        join(ng, 'microk8s-checks.cfg'),
        example.replace(checkNrpe, `check_nrpe -H $HOSTADDRESS$ -p ${own.port} -t ${ROOM.checkNrpe} `),
      );
      // One node with every service: a control-plane node that also runs the cluster checks.
      writeFileSync(join(ng, 'hosts.cfg'), nagiosHost('node1', '127.0.0.1', ['microk8s-nodes', 'microk8s-cluster-checks']) + RETURN_OK);
      writeFileSync(
        join(ng, 'nagios.cfg'),
        nagiosMainConfig(
          ng,
          [`${ng}/hosts.cfg`, `${ng}/microk8s-checks.cfg`],
          [
            'status_update_interval=1',
            // One cycle: every service checked at once at start-up, and next 10 minutes on (the
            // shortest check_interval, 1, in units of 600 s). With 1 s units the core polled every
            // service again each second or few, a few dozen processes a second on a machine
            // already short of CPU, and started new shared runs while the test ran the checks alone.
            'interval_length=600',
            'service_inter_check_delay_method=n',
            'host_inter_check_delay_method=n',
            'max_service_check_spread=1',
            'check_result_reaper_frequency=1',
            `service_check_timeout=${ROOM.nagios}`,
          ],
        ),
      );
      execFileSync('/usr/sbin/nagios4', ['-v', join(ng, 'nagios.cfg')], { stdio: 'pipe' });
      const nagios = spawn('/usr/sbin/nagios4', [join(ng, 'nagios.cfg')], { uid: ids!.uid, gid: ids!.gid, stdio: 'ignore' });
      const expected = COMMANDS.map((c) => serviceOf(c.name)).sort();
      let services: Record<string, ServiceStatus> = {};
      try {
        // Every service's first result in status.dat: the core's one cycle has ended.
        services = await until(
          () => {
            const waiting = expected.filter((s) => !services[s]?.checked);
            return `Nagios to write a checked result of every service to ${ng}/status.dat (still unchecked: ${waiting.join(', ')})`;
          },
          () => {
            services = existsSync(join(ng, 'status.dat')) ? parseStatus(readFileSync(join(ng, 'status.dat'), 'utf8')) : {};
            return expected.every((s) => services[s]?.checked) ? services : undefined;
          },
          { timeoutMs: ROOM.cycle * 1000, intervalMs: 500 },
        );
      } finally {
        // The checks alone run on a machine no longer busy with the core and its nrpe.
        nagios.kill();
        own.daemon.kill();
      }
      expect(Object.keys(services).sort()).toEqual(expected);
      for (const { name, argv } of roomy) {
        const service = services[serviceOf(name)]!;
        const direct = await alone(argv);
        expect(service.state, `${name}: ${service.output} (alone: ${direct.first})`).toBe(direct.code);
        expect(timeless(service.output), `${name}\nthrough Nagios:\n${service.long}\nalone:\n${direct.stdout}`).toBe(
          timeless(direct.first.split(' | ')[0]!),
        );
      }
    },
    // The cycle, then seventeen checks alone, each within its -t.
    (ROOM.cycle + COMMANDS.length * ROOM.check) * 1000,
  );

  it('the installed checks run with no node on PATH at all', async () => {
    const plugins = `${dir}/root/usr/local/lib/nagios/plugins`;
    for (const f of readdirSync(plugins).filter((f) => f.startsWith('check_'))) {
      const r = await runProcess(`${plugins}/${f}`, ['-V'], { env: { PATH: '/nonexistent' } });
      expect(r.code, f).toBe(0);
      expect(r.first).toMatch(new RegExp(`^${f} \\d+\\.\\d+\\.\\d+`));
    }
    // Seventeen Node starts: 18 s on a loaded machine.
  }, 120_000);

  it('an installed check reached through a symlink (as distributions link plugins) finds its bundle', async () => {
    const plugins = `${dir}/root/usr/local/lib/nagios/plugins`;
    mkdirSync(`${dir}/linked`, { recursive: true });
    symlinkSync(`${plugins}/check_nodes`, `${dir}/linked/check_nodes`);
    const r = await runProcess(`${dir}/linked/check_nodes`, ['-V'], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.first).toMatch(/^check_nodes \d+\.\d+\.\d+/);
  });
});
