// The shipped Icinga 2 definitions, loaded by Debian's real icinga2 (2.13): validated as the
// docs/icinga2.md lays them out, and one check scheduled by a running Icinga 2 whose GraphiteWriter says
// what state and perfdata it parsed. Every icinga2 here has its own config, state, cache, log and
// run directories under a temp dir: /etc/icinga2 and the system service are never touched.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../checks/registry.ts';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { servicesOf } from '../helpers/placement.ts';
import { DIST } from '../helpers/run.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHIPPED = join(ROOT, 'nrpe/icinga2');
const ICINGA2 = ['/usr/sbin/icinga2', '/usr/bin/icinga2'].find(existsSync);
const unavailable = ICINGA2 ? undefined : 'needs icinga2 (apt-get install icinga2)';
if (unavailable) console.warn(`Icinga 2 tests: ${unavailable}`);
const MIB = 1024 * 1024;

/** A private Icinga 2 tree: etc/ for the config, var/ for everything it writes. */
function tree(): { dir: string; etc: string; defines: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-icinga2-'));
  const etc = join(dir, 'etc');
  mkdirSync(join(etc, 'zones.d'), { recursive: true });
  const v = (d: string) => {
    mkdirSync(join(dir, 'var', d), { recursive: true });
    return join(dir, 'var', d);
  };
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  const defines = Object.entries({
    ZonesDir: join(etc, 'zones.d'),
    DataDir: v('lib'),
    LogDir: v('log'),
    CacheDir: v('cache'),
    SpoolDir: v('spool'),
    InitRunDir: v('run'),
    RunAsUser: userInfo().username,
    RunAsGroup: group,
  }).flatMap(([k, value]) => ['-D', `${k}=${value}`]);
  return { dir, etc, defines };
}

function validate(t: ReturnType<typeof tree>): { code: number; out: string } {
  try {
    const out = execFileSync(ICINGA2!, ['daemon', '-C', '-c', join(t.etc, 'icinga2.conf'), ...t.defines], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, out: e.stdout };
  }
}

interface IcingaObject {
  type: string;
  name: string;
  properties: Record<string, unknown>;
}

/** The objects `icinga2 daemon -C` wrote to its cache (netstrings of JSON, as `icinga2 object list` reads them). */
function objects(t: ReturnType<typeof tree>): IcingaObject[] {
  const text = readFileSync(join(t.dir, 'var/cache/icinga2.debug'), 'utf8');
  const out: IcingaObject[] = [];
  let i = 0;
  const bytes = Buffer.from(text);
  while (i < bytes.length) {
    const colon = bytes.indexOf(':', i);
    const len = Number(bytes.subarray(i, colon).toString());
    out.push(JSON.parse(bytes.subarray(colon + 1, colon + 1 + len).toString()) as IcingaObject);
    i = colon + 1 + len + 1;
  }
  return out;
}

/** icinga2.conf: the constants constants.conf would hold, the ITL, and the rest. */
const mainConf = (nodeName: string, zoneName: string, pluginDir: string, extra = '') =>
  `const PluginDir = ${JSON.stringify(pluginDir)}\nconst NodeName = ` +
  `${JSON.stringify(nodeName)}\nconst ZoneName = ${JSON.stringify(zoneName)}\ninclude <itl>\n` +
  `include <plugins>\n${extra}`;

describe.skipIf(unavailable)('the Icinga 2 definitions in a real Icinga 2', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) execFileSync('rm', ['-rf', d]);
  });

  /** The layout of docs/icinga2.md on a config master: zones.conf, the commands in a global zone, hosts and services in the master's. */
  function masterLayout(): ReturnType<typeof tree> {
    const t = tree();
    dirs.push(t.dir);
    copyFileSync(join(SHIPPED, 'example-zones.conf'), join(t.etc, 'zones.conf'));
    const zone = (name: string, files: string[]) => {
      mkdirSync(join(t.etc, 'zones.d', name));
      for (const f of files) copyFileSync(join(SHIPPED, f), join(t.etc, 'zones.d', name, f));
    };
    zone('global-templates', ['commands.conf']);
    zone('master', ['agent-services.conf', 'example-hosts.conf', 'microk8s-checks.conf']);
    // Hosts on the NRPE route beside the agents (the ITL's nrpe command): a control-plane node with
    // the cluster checks, a worker, a control-plane node.
    const nrpeHost = (name: string, address: string, vars: string[]) =>
      `object Host "${name}" {\n  check_command = "hostalive"\n  address = "${address}"\n  vars.microk8s = true\n` +
      `${vars.map((v) => `  vars.${v} = true\n`).join('')}}\n`;
    writeFileSync(
      join(t.etc, 'zones.d/master/nrpe-host.conf'),
      nrpeHost('k8s09', '10.0.0.19', ['microk8s_cluster_checks']) +
        nrpeHost('k8s10', '10.0.0.20', ['microk8s_worker']) +
        nrpeHost('k8s11', '10.0.0.21', []),
    );
    writeFileSync(join(t.etc, 'icinga2.conf'), mainConf('icinga-master', 'master', '/usr/lib/nagios/plugins', 'include "zones.conf"\n'));
    return t;
  }

  it('icinga2 daemon -C accepts the commands, the agent services, the example zones and hosts, and the NRPE route', () => {
    const t = masterLayout();
    const r = validate(t);
    expect(r.code, r.out).toBe(0);
    const all = objects(t);
    const services = all.filter((o) => o.type === 'Service').map((o) => o.properties);
    const on = (host: string) => services.filter((s) => s.host_name === host);
    // Every check is a CheckCommand, and the node that runs the cluster-wide checks runs every one of them.
    const commands = new Set(all.filter((o) => o.type === 'CheckCommand').map((o) => o.name));
    for (const e of REGISTRY) expect(commands).toContain(`microk8s_${e.command.replace(/^check_/, '')}`);
    expect(
      on('k8s01')
        .map((s) => s.check_command)
        .sort(),
    ).toEqual(REGISTRY.map((e) => `microk8s_${e.command.replace(/^check_/, '')}`).sort());
    // Each agent runs its own node's checks; the cluster's API objects are checked once.
    for (const host of ['k8s01', 'k8s02', 'k8s03', 'k8s04'])
      for (const s of on(host)) expect(s.command_endpoint, String(s.name)).toBe(host);
    const names = (host: string) =>
      on(host)
        .map((s) => String(s.name))
        .sort();
    expect(names('k8s01')).toEqual(servicesOf('control plane with the cluster checks'));
    expect(names('k8s02')).toEqual(servicesOf('control plane'));
    // The example's worker: no dqlite, no API server of its own, so none of their checks.
    expect(names('k8s04')).toEqual(servicesOf('worker'));
    // The NRPE route places them alike; its cluster-checks host polls every NRPE command of nrpe/microk8s-checks.cfg.
    expect(names('k8s09')).toEqual(servicesOf('control plane with the cluster checks'));
    expect(on('k8s09')).toHaveLength(REGISTRY.length);
    expect(on('k8s09').every((s) => s.check_command === 'nrpe')).toBe(true);
    expect(names('k8s10')).toEqual(servicesOf('worker'));
    expect(names('k8s11')).toEqual(servicesOf('control plane'));
  });

  it("an agent loads the commands from the global zone its parent synced to it, and knows every check's CheckCommand", () => {
    const t = tree();
    dirs.push(t.dir);
    // Where an agent keeps the config its parent synced (DataDir/api/zones/<zone>/_etc).
    const synced = join(t.dir, 'var/lib/api/zones/global-templates/_etc');
    mkdirSync(synced, { recursive: true });
    copyFileSync(join(SHIPPED, 'commands.conf'), join(synced, 'commands.conf'));
    // The agent's zones.conf as `icinga2 node wizard` writes it: its parent, itself, the global zone.
    const zones = `object Endpoint "icinga-master" {
  host = "10.0.0.1"
}
object Zone "master" {
  endpoints = [ "icinga-master" ]
}
object Endpoint "k8s02" { }
object Zone "k8s02" {
  endpoints = [ "k8s02" ]
  parent = "master"
}
object Zone "global-templates" {
  global = true
}
`;
    writeFileSync(join(t.etc, 'icinga2.conf'), mainConf('k8s02', 'k8s02', '/usr/lib/nagios/plugins', zones));
    const r = validate(t);
    expect(r.code, r.out).toBe(0);
    const commands = objects(t).filter((o) => o.type === 'CheckCommand');
    for (const e of REGISTRY) {
      const cmd = commands.find((o) => o.name === `microk8s_${e.command.replace(/^check_/, '')}`);
      expect(cmd?.properties.command, e.command).toEqual([`/usr/lib/nagios/plugins/${e.command}`]);
    }
  });

  it('a kubeconfig set on a host reaches its checks: the agent template gives its default only to hosts without one', () => {
    const t = masterLayout();
    // docs/icinga2.md: the shared variables are set once on a host. Icinga 2 resolves $microk8s_kubeconfig$
    // from the service's vars before the host's, so a service variable set by the template would hide the host's.
    writeFileSync(
      join(t.etc, 'zones.d/master/own-kubeconfig.conf'),
      'object Endpoint "k8s05" { }\nobject Zone "k8s05" {\n  endpoints = [ "k8s05" ]\n  parent = "master"\n}\n' +
        'object Host "k8s05" {\n  import "microk8s-node"\n  address = "10.0.0.15"\n' +
        '  vars.microk8s_kubeconfig = "/etc/icinga2/k8s05.kubeconfig"\n}\n',
    );
    const r = validate(t);
    expect(r.code, r.out).toBe(0);
    const services = objects(t)
      .filter((o) => o.type === 'Service')
      .map((o) => o.properties as { host_name: string; name: string; vars?: Record<string, unknown> | null });
    const own = services.filter((s) => s.host_name === 'k8s05');
    expect(own.length).toBeGreaterThan(0);
    for (const s of own) expect(s.vars?.microk8s_kubeconfig, s.name).toBeUndefined();
    for (const s of services.filter((x) => x.host_name === 'k8s02'))
      expect(s.vars?.microk8s_kubeconfig, s.name).toBe('/etc/nagios/microk8s.kubeconfig');
  });

  it("the NRPE route sets only variables the ITL's nrpe CheckCommand reads (any other does nothing, without a word)", () => {
    const itl = readFileSync('/usr/share/icinga2/include/command-plugins.conf', 'utf8');
    const start = itl.indexOf('object CheckCommand "nrpe" {');
    expect(start).toBeGreaterThan(-1);
    const nrpe = itl.slice(start, itl.indexOf('\n}\n', start));
    const read = new Set([...nrpe.matchAll(/\$(nrpe_\w+)\$/g)].map((m) => m[1]!));
    const route = readFileSync(join(SHIPPED, 'microk8s-checks.conf'), 'utf8');
    const set = [...new Set([...route.matchAll(/vars\.(nrpe_\w+)/g)].map((m) => m[1]!))];
    expect(set).toContain('nrpe_command');
    expect(set.filter((v) => !read.has(v))).toEqual([]);
  });

  it('icinga2 daemon -C fails on a broken definition (so the passing validation means something)', () => {
    const t = masterLayout();
    // The syntax error once shipped: an argument dictionary without separators.
    writeFileSync(
      join(t.etc, 'zones.d/global-templates/broken.conf'),
      'object CheckCommand "broken" {\n  command = [ "/bin/true" ]\n  arguments = {\n    "-x" = ' +
        '{ value = "$x$" repeat_key = true }\n  }\n}\n',
    );
    const r = validate(t);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/syntax error/);
  });

  /**
   * A running Icinga 2 scheduling one service of the shipped commands on host k8s02, its
   * GraphiteWriter's lines read until every path asked for arrived (a result's lines can come in
   * more than one write): path -> the value Icinga 2 parsed, under the service's prefix.
   */
  async function scheduled(service: string, command: string, vars: string, paths: string[]) {
    const t = tree();
    dirs.push(t.dir);
    // Icinga 2's GraphiteWriter sends what it parsed from the plugin's output: one line per value.
    const lines: string[] = [];
    const graphite = createServer((socket) => {
      let buf = '';
      socket.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        const parts = buf.split('\n');
        buf = parts.pop()!;
        lines.push(...parts);
      });
    });
    await new Promise<void>((ok) => graphite.listen(0, '127.0.0.1', ok));
    const port = (graphite.address() as AddressInfo).port;
    copyFileSync(join(SHIPPED, 'commands.conf'), join(t.etc, 'commands.conf'));
    writeFileSync(
      join(t.etc, 'icinga2.conf'),
      mainConf(
        'icinga-test',
        'master',
        DIST,
        `include "commands.conf"
object CheckerComponent "checker" { }
object GraphiteWriter "graphite" {
  host = "127.0.0.1"
  port = ${port}
  enable_send_thresholds = true
  enable_send_metadata = true
}
object Host "k8s02" {
  check_command = "dummy"
  enable_active_checks = false
}
object Service "${service}" {
  host_name = "k8s02"
  check_command = "${command}"
  check_interval = 2s
  retry_interval = 2s
${vars}}
`,
      ),
    );
    const daemon = spawn(ICINGA2!, ['daemon', '-c', join(t.etc, 'icinga2.conf'), ...t.defines], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    daemon.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    const prefix = `icinga2.k8s02.services.${service}.${command}.`;
    const value = (path: string) => lines.find((l) => l.startsWith(`${prefix}${path} `))?.split(' ')[1];
    try {
      for (let i = 0; i < 240 && !paths.every((p) => value(p)); i++) {
        if (daemon.exitCode !== null) break;
        await new Promise((ok) => setTimeout(ok, 250));
      }
    } finally {
      if (daemon.exitCode === null) {
        const gone = new Promise((ok) => daemon.once('exit', ok));
        daemon.kill('SIGTERM');
        await gone;
      }
      graphite.close();
    }
    // Icinga 2's own children (its umbrella and process-spawn helper) went with it.
    const left = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(t.etc);
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
    return { value, sent: lines.filter((l) => l.startsWith(prefix)), why: `${output}\n${lines.join('\n')}` };
  }

  it('a running Icinga 2 schedules check_dqlite_lock and parses its state and perfdata', async () => {
    const fmt = (d: Date) =>
      `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, '0')} ${d.toTimeString().slice(0, 8)}`;
    const log = join(mkdtempSync(join(tmpdir(), 'mk8s-icinga2-log-')), 'kine.log');
    dirs.push(dirname(log));
    const line = (age: number) => `${fmt(at(age))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${logrus(at(age), 'error', LOCK_TXN)}`;
    writeFileSync(log, `${[30, 40, 50].map(line).join('\n')}\n`);
    const { value, why } = await scheduled(
      'microk8s-dqlite-lock',
      'microk8s_dqlite_lock',
      `  vars.microk8s_dqlite_lock_log_file = ${JSON.stringify(log)}
  vars.microk8s_dqlite_lock_warning = "2"
  vars.microk8s_dqlite_lock_critical = "10"
`,
      ['metadata.state', 'perfdata.locked.value', 'perfdata.locked_last_min.value'],
    );
    expect(value('metadata.state'), why).toBe('1');
    expect(value('perfdata.locked.value')).toBe('3');
    expect(value('perfdata.locked.warn')).toBe('2');
    expect(value('perfdata.locked.crit')).toBe('10');
    expect(value('perfdata.locked.min')).toBe('0');
    // How many still fall in the last minute depends on how long the machine took: only that it arrived.
    expect(value('perfdata.locked_last_min.value')).toMatch(/^[0-3]$/);
  }, 90_000);

  it("check_dqlite_storage's sizes reach Icinga 2 as the bytes on disk, thresholds too; a U value alone is left out", async () => {
    // Icinga 2 reads perfdata units as its docs say (since 2.11: MB is 1000^2 bytes, MiB 1024^2):
    // a size is the same number of bytes in Icinga 2, pnp4nagios and Prometheus only in B.
    const backend = mkdtempSync(join(tmpdir(), 'mk8s-icinga2-backend-'));
    dirs.push(backend);
    const sizes: Record<string, number> = { '0000000012981761-0000000012982784': 8 * MIB, 'open-1': 8 * MIB };
    for (const f of ['cluster.yaml', 'info.yaml', 'metadata1', 'metadata2']) sizes[f] = 2;
    const snapshot = 'snapshot-1-12983808-1492552';
    sizes[snapshot] = 237 * MIB + 12_345;
    sizes[`${snapshot}.meta`] = 4;
    // Sparse: a snapshot's bytes are not read, only its size.
    for (const [name, size] of Object.entries(sizes)) {
      writeFileSync(join(backend, name), '');
      truncateSync(join(backend, name), size);
    }
    const { value, sent, why } = await scheduled(
      'microk8s-dqlite-storage',
      'microk8s_dqlite_storage',
      `  vars.microk8s_backend_dir = ${JSON.stringify(backend)}
  vars.microk8s_dqlite_storage_free_warning = 0
  vars.microk8s_dqlite_storage_free_critical = 0
`,
      ['metadata.state', 'perfdata.snapshot_size.value', 'perfdata.backend_size.value', 'perfdata.free.value', 'perfdata.free_pct.value'],
    );
    expect(value('metadata.state'), why).toBe('2');
    expect(value('perfdata.snapshot_size.value'), why).toBe(String(237 * MIB + 12_345));
    // -w 50 -c 150 are MB of 1024 * 1024 bytes, as the check judges them.
    expect(value('perfdata.snapshot_size.warn')).toBe(String(50 * MIB));
    expect(value('perfdata.snapshot_size.crit')).toBe(String(150 * MIB));
    expect(value('perfdata.snapshot_size.min')).toBe('0');
    expect(value('perfdata.backend_size.value')).toBe(String(Object.values(sizes).reduce((a, b) => a + b, 0)));
    expect(value('perfdata.free.value')).toMatch(/^\d+$/);
    // One snapshot times no cadence: snapshot_interval=U;;;0 (the guidelines' unknown value). Icinga 2
    // leaves that value alone out ("Ignoring invalid perfdata"), every other one of the run is written.
    expect(sent.filter((l) => /\.perfdata\.snapshot(_interval|s_per_hour)\./.test(l))).toEqual([]);
    expect(value('perfdata.free_pct.value')).toMatch(/^[\d.]+$/);
  }, 90_000);
});
