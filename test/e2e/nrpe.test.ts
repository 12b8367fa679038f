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
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommonArgs } from '../../lib/plugin/runner.ts';
import { certFile } from '../apiserver/certs.ts';
import { deployment, job, lease, node, pod, replicaSet, nodeLease } from '../apiserver/objects.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, makeJournal } from '../helpers/journal.ts';
import { runProcess } from '../helpers/run.ts';
import { healthyNode, type HealthyNode } from '../helpers/standins.ts';
import { CHECK_NRPE, NRPE, waitForNrpe, writeNrpeConfig } from '../helpers/nrpe.ts';
import { freePort } from '../helpers/sshd.ts';
import { nagiosIds } from '../helpers/users.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NAGIOS = '/usr/sbin/nagios4';

/** servicestatus blocks of Nagios' status.dat, by service_description. */
function parseStatus(text: string): Record<string, { state: number; output: string; long: string; checked: boolean }> {
  const out: Record<string, { state: number; output: string; long: string; checked: boolean }> = {};
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
    .replace(/\b\d+\.\d{3} s\b/g, 'N s')
    .replace(/since the previous run \S+ ago/g, 'since the previous run N ago')
    .replace(/(\d+ restarts?) in \d[\dhms]*/g, '$1 in N')
    .replace(/free_pct=[\d.]+%/g, 'free_pct=N%')
    .replace(/ free=[\d.]+MB/g, ' free=NMB')
    .replace(/[\d.]+% free on/g, 'N% free on')
    .replace(/ is [\d.]+% full \([\d.]+ MB free\)/g, ' is N% full (N MB free)')
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
    mkdirSync(join(dir, 'journal'));
    // Ages away from the one-minute boundary, so the direct run and the polled one agree.
    const journal = makeJournal(
      [10, 15, 100, 130, 160, 190].map((age) => ({ age, service: DQLITE, message: logrus(at(age), 'error', LOCK_TXN) })),
      join(dir, 'journal'),
    );
    chmodSync(dirname(journal), 0o755);
    chownSync(journal, 0, ids!.journalGid);
    chmodSync(journal, 0o640);
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
    writeFileSync(join(dir, 'commands.cfg'), rendered.map((r) => `command[${r.name}]=${r.argv.join(' ')}\n`).join(''));
    port = await freePort();
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
    writeNrpeConfig(join(dir, 'nrpe.cfg'), port, run, [
      `log_file=${run}/nrpe.log`,
      'connection_timeout=300',
      'debug=0',
      // The shared cycle's answers live under the nagios user's cache; here, the test's own.
      'keep_env_vars=XDG_CACHE_HOME',
      `include=${dir}/commands.cfg`,
    ]);
    chmodSync(join(dir, 'commands.cfg'), 0o644);
    // nrpe refuses to run as root: it runs as nagios, with the systemd-journal group.
    mkdirSync(cache, { mode: 0o700 });
    chownSync(cache, ids!.uid, ids!.gid);
    nrpe = spawn(NRPE, ['-c', join(dir, 'nrpe.cfg'), '-f'], {
      uid: ids!.uid,
      gid: ids!.journalGid,
      stdio: 'ignore',
      env: { ...process.env, XDG_CACHE_HOME: cache },
    });
    await waitForNrpe(port);
  }, 120_000);

  afterAll(async () => {
    clearInterval(renewing);
    here?.close();
    nrpe?.kill();
    await c?.close();
    // The installed plugins carry their own Node runtime: 130 MB a run, left behind otherwise.
    rmSync(dir, { recursive: true, force: true });
  });

  it('every check answers through check_nrpe (the shared cycle) with the same first line and exit code as run alone', async () => {
    // Every command shares the cycle (check_apiserver's readyz is timed on a thread of its own there).
    expect(rendered.filter((r) => !r.argv.includes('--cycle=55')).map((r) => r.name)).toEqual([]);
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
  }, 90_000);

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
      // Those UNKNOWN answers were true when made; the next tests start a cycle of their own, once
      // the shared run still evaluating the other lines in the background has published its last.
      const claims = join(cache, 'microk8s-checks', 'cycle', 'claims');
      for (let i = 0; i < 150 && readdirSync(claims).length; i++) await new Promise((r) => setTimeout(r, 100));
      for (const f of readdirSync(answers)) rmSync(join(answers, f), { force: true });
    }
  }, 60_000);

  if (!unavailable && !existsSync(NAGIOS)) console.warn(`Nagios 4 core test: no ${NAGIOS} here (apt-get install nagios4-core); skipped`);
  it.skipIf(!existsSync(NAGIOS))(
    'a real Nagios 4 core with nrpe/nagios examples: one cycle, states in status.dat',
    async () => {
      const ng = join(dir, 'nagios');
      mkdirSync(join(ng, 'checkresults'), { recursive: true });
      chownSync(ng, ids!.uid, ids!.gid);
      chownSync(join(ng, 'checkresults'), ids!.uid, ids!.gid);
      // The project's example, pointed at this test's nrpe port.
      const examples = readFileSync(join(ROOT, 'nrpe/nagios/microk8s-checks.cfg'), 'utf8').replace(
        'check_nrpe -H $HOSTADDRESS$',
        `check_nrpe -H $HOSTADDRESS$ -p ${port}`,
      );
      writeFileSync(join(ng, 'microk8s-checks.cfg'), examples);
      writeFileSync(
        join(ng, 'hosts.cfg'),
        'define host {\n    use             linux-server\n    host_name       node1\n    address  ' +
          '       127.0.0.1\n    hostgroups      microk8s-nodes\n    check_command   return-ok\n}\n' +
          'define command {\n    command_name    return-ok\n    command_line    /bin/true\n}\n',
      );
      const debian = ['templates', 'timeperiods', 'contacts', 'commands'].map((f) => `cfg_file=/etc/nagios4/objects/${f}.cfg`);
      writeFileSync(
        join(ng, 'nagios.cfg'),
        [
          ...debian,
          `cfg_file=${ng}/hosts.cfg`,
          `cfg_file=${ng}/microk8s-checks.cfg`,
          `log_file=${ng}/nagios.log`,
          `status_file=${ng}/status.dat`,
          'status_update_interval=1',
          `object_cache_file=${ng}/objects.cache`,
          `precached_object_file=${ng}/objects.precache`,
          `temp_file=${ng}/nagios.tmp`,
          `temp_path=${ng}`,
          `lock_file=${ng}/nagios.lock`,
          `check_result_path=${ng}/checkresults`,
          `state_retention_file=${ng}/retention.dat`,
          'retain_state_information=0',
          'check_external_commands=0',
          'use_syslog=0',
          'enable_notifications=0',
          'enable_flap_detection=0',
          'interval_length=1',
          'service_inter_check_delay_method=n',
          'host_inter_check_delay_method=n',
          'max_service_check_spread=1',
          'check_result_reaper_frequency=1',
          '',
        ].join('\n'),
      );
      execFileSync('/usr/sbin/nagios4', ['-v', join(ng, 'nagios.cfg')], { stdio: 'pipe' });
      const nagios = spawn('/usr/sbin/nagios4', [join(ng, 'nagios.cfg')], { uid: ids!.uid, gid: ids!.gid, stdio: 'ignore' });
      try {
        let services: Record<string, { state: number; output: string; long: string; checked: boolean }> = {};
        for (let i = 0; i < 120; i++) {
          await new Promise((r) => setTimeout(r, 500));
          services = existsSync(join(ng, 'status.dat')) ? parseStatus(readFileSync(join(ng, 'status.dat'), 'utf8')) : {};
          const all = Object.values(services);
          if (all.length === COMMANDS.length && all.every((v) => v.checked)) break;
        }
        expect(Object.keys(services).sort()).toEqual(
          COMMANDS.map((c) =>
            c.name.replace('check_microk8s_', 'microk8s-').replace(/_/g, '-').replace('microk8s-kine', 'microk8s-kine'),
          ).sort(),
        );
        for (const { name, argv } of rendered) {
          const service = services[name.replace('check_microk8s_', 'microk8s-').replace(/_/g, '-')]!;
          const direct = await alone(argv);
          expect(service.checked, name).toBe(true);
          expect(service.state, `${name}: ${service.output} (alone: ${direct.first})`).toBe(direct.code);
          expect(timeless(service.output), `${name}\nthrough Nagios:\n${service.long}\nalone:\n${direct.stdout}`).toBe(
            timeless(direct.first.split(' | ')[0]!),
          );
        }
      } finally {
        nagios.kill();
      }
    },
    90_000,
  );

  it('the installed checks run with no node on PATH at all', async () => {
    const plugins = `${dir}/root/usr/local/lib/nagios/plugins`;
    for (const f of readdirSync(plugins).filter((f) => f.startsWith('check_'))) {
      const r = await runProcess(`${plugins}/${f}`, ['-V'], { env: { PATH: '/nonexistent' } });
      expect(r.code, f).toBe(0);
      expect(r.first).toMatch(new RegExp(`^${f} \\d+\\.\\d+\\.\\d+`));
    }
  });

  it('an installed check reached through a symlink (as distributions link plugins) finds its bundle', async () => {
    const plugins = `${dir}/root/usr/local/lib/nagios/plugins`;
    mkdirSync(`${dir}/linked`, { recursive: true });
    symlinkSync(`${plugins}/check_nodes`, `${dir}/linked/check_nodes`);
    const r = await runProcess(`${dir}/linked/check_nodes`, ['-V'], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.first).toMatch(/^check_nodes \d+\.\d+\.\d+/);
  });
});
