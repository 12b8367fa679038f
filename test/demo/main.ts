// npm run demo [-- --calm]: every input the checks read, on this machine, without a cluster (issue
// #28, "Try it without a cluster"). Prints how to run each check and `microk8s-checks all` against
// it, and serves until Ctrl-C or SIGTERM, then stops what it started and removes its files.
//   default: a dqlite write storm and its fallout (some checks WARNING or CRITICAL, as they should be)
//   --calm:  the same cluster without the storm
// Plain Node (type stripping), like test/apiserver/main.ts: npm puts the project's Node 24 first.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certFile, makeCerts, writeKubeconfig } from '../apiserver/certs.ts';
import { startApiServer } from '../apiserver/server.ts';
import { DEMO_DATABASE, DQLITE_CLI, dqliteUnavailable, startDqlite, type DqliteCluster } from '../helpers/dqlite.ts';
import { haveJournalRemote } from '../helpers/journal.ts';
import { scriptArgs } from '../helpers/script-args.ts';
import { healthyNode, systemctlStandIn, unit, monotonicUs } from '../helpers/standins.ts';
import { DEMO_NODE, populate, renew, type DemoNodes } from './cluster.ts';
import { instructions } from './instructions.ts';
import { DemoJournal, TICK_S } from './journal.ts';

const values = scriptArgs('demo', 'npm run demo [-- --calm]\n  --calm  the same cluster without the dqlite write storm', {
  calm: { type: 'boolean', default: false },
});
const storm = !values.calm;

/** Everything to undo, last started first. */
const undo: (() => unknown)[] = [];
let stopping = false;
async function stop(code: number): Promise<never> {
  if (stopping) return new Promise(() => {});
  stopping = true;
  for (const step of undo.reverse()) {
    try {
      await step();
    } catch (err) {
      process.stderr.write(`demo: cleaning up: ${(err as Error).message}\n`);
    }
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));

if (!haveJournalRemote) {
  process.stderr.write('demo: systemd-journal-remote is needed to write the journal (apt-get install systemd-journal-remote)\n');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'mk8s-demo-'));
undo.push(() => rmSync(dir, { recursive: true, force: true }));
// What the helpers make in the temporary directory (the API server's CA, ...) is made in the demo's.
process.env.TMPDIR = dir;

try {
  // dqlite: a real three-node cluster where Debian's go-dqlite is installed; this host is its node 2.
  const notes: string[] = [];
  let dqliteArgs: { bin: string; backend: string; database: string };
  let nodes: DemoNodes;
  const missing = dqliteUnavailable();
  if (missing === undefined) {
    const cluster: DqliteCluster = await startDqlite(3);
    undo.push(() => cluster.stop());
    // Enough writes for a snapshot on every node (1024 raft entries), as a running k8s-dqlite makes.
    await cluster.writeUntilSnapshots(1);
    const here = cluster.nodes[1]!;
    dqliteArgs = { bin: DQLITE_CLI, backend: here.backend, database: DEMO_DATABASE };
    nodes = cluster.nodes.map((n, i) => ({ name: `k8s0${i + 1}`, ip: n.address.split(':')[0]! }));
    notes.push(
      `dqlite: three dqlite-demo nodes (Debian's go-dqlite) at ${cluster.nodes.map((n) => n.address).join(', ')}, ` +
        'asked with its v1 CLI without TLS (dqlite-demo has none)',
    );
  } else {
    const standIn = await healthyNode(join(dir, 'dqlite-stand-in'));
    undo.push(() => standIn.close());
    const [, bin, , backend] = standIn.dqliteArgs as [string, string, string, string];
    dqliteArgs = { bin, backend, database: 'k8s' };
    nodes = [
      { name: 'k8s01', ip: '10.0.0.11' },
      { name: 'k8s02', ip: '127.0.0.1' },
      { name: 'k8s03', ip: '10.0.0.13' },
    ];
    notes.push(
      `dqlite: ${missing}; a stand-in CLI answers for one voter instead (test/helpers/standins.ts), ` +
        'check_dqlite_storage has no segments to read',
    );
  }

  // The API server, with a server certificate valid for a year (check_certs reads what it serves).
  const certs = makeCerts(['127.0.0.1'], 365);
  undo.push(() => rmSync(certs.dir, { recursive: true, force: true }));
  const token = 'demo-token-0123456789abcdefghijklmnopq';
  const api = await startApiServer({ certs, tokens: { [token]: { user: 'system:serviceaccount:monitoring:nagios' } } });
  undo.push(() => api.close());
  populate(api, nodes, storm);
  renew(api, nodes, storm);
  const kubeconfig = writeKubeconfig(dir, api.url, certs.ca, token);

  // The node's own files: the certificates MicroK8s keeps, $SNAP_DATA with the lock files of a
  // joined control-plane node (clustered.lock; no no-k8s-dqlite: it runs dqlite).
  const certDir = join(dir, 'certs');
  mkdirSync(certDir);
  mkdirSync(join(dir, 'keys'));
  certFile(certDir, 'ca.crt', 3650, '10.152.183.1', join(dir, 'keys'));
  certFile(certDir, 'server.crt', 365, '127.0.0.1', join(dir, 'keys'));
  certFile(certDir, 'front-proxy-client.crt', 365, 'front-proxy-client', join(dir, 'keys'));
  const snapData = join(dir, 'snap-data');
  mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  writeFileSync(join(snapData, 'var', 'lock', 'clustered.lock'), '');

  // systemd cannot run here: a stand-in systemctl answers for the node's units. In the storm
  // k8s-dqlite crash-loops: systemd restarts it every 30 s, NRestarts counting up.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // Up since the boot, or a day (systemd's monotonic stamps count from the boot).
  const upFor = () => Math.min(86400, Math.max(1, monotonicUs() / 1e6 - 5));
  const units = ['k8s-dqlite', 'kubelite', 'containerd', 'cluster-agent'].map((n) => `snap.microk8s.daemon-${n}.service`);
  const systemctl = systemctlStandIn(
    units.map((id) => unit(id, { upFor: upFor() })),
    'asked',
    bin,
  );
  const dqliteUnit = { restarts: 14, since: monotonicUs() - 20e6 };
  const services = () => {
    if (!storm) return;
    if (monotonicUs() - dqliteUnit.since > 30e6) Object.assign(dqliteUnit, { restarts: dqliteUnit.restarts + 1, since: monotonicUs() });
    systemctl.set([{ id: units[0]!, ...dqliteUnit }]);
  };
  services();

  const journal = new DemoJournal(dir, storm);
  journal.start();

  const timers = [
    setInterval(() => renew(api, nodes, storm), 5000),
    setInterval(services, 5000),
    setInterval(() => journal.tick(), TICK_S * 1000),
  ];
  undo.push(() => timers.forEach(clearInterval));

  process.stdout.write(
    instructions({
      storm,
      dir,
      kubeconfig,
      journalDir: journal.dir,
      certDir,
      snapData,
      bin: systemctl.dir,
      state: join(dir, 'state'),
      node: DEMO_NODE,
      dqlite: dqliteArgs,
      units: units.slice(0, 2),
      notes,
    }),
  );
} catch (err) {
  process.stderr.write(`demo: cannot start: ${(err as Error).message}\n`);
  await stop(1);
}
