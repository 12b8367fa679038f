// What the demo prints: each check's command line against the demo's inputs, and `all`'s, exact
// and whole (absolute paths; the environment a check needs in front of it).
import { resolve } from 'node:path';
import { REGISTRY } from '../../checks/registry.ts';

export interface DemoInputs {
  storm: boolean;
  dir: string;
  kubeconfig: string;
  journalDir: string;
  certDir: string;
  snapData: string;
  /** The directory of the stand-in systemctl. */
  bin: string;
  /** XDG_STATE_HOME for the checks that remember between runs. */
  state: string;
  node: string;
  dqlite: { bin: string; backend: string; database: string };
  /** The units `all` names with --unit. */
  units: string[];
  notes: string[];
}

const STORM = 'a dqlite write storm and its fallout; --calm for a quiet cluster';
const DIST = resolve(import.meta.dirname, '../../dist');
const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Each check's options against the demo, by command; `env` when it needs the stand-in or a state directory. */
function lines(d: DemoInputs): Map<string, { env: string[]; args: string[] }> {
  const path = `PATH=${quote(d.bin)}:"$PATH"`;
  const state = `XDG_STATE_HOME=${quote(d.state)}`;
  const kube = ['--kubeconfig', d.kubeconfig];
  const journal = ['--journal-dir', d.journalDir];
  const dqlite = ['--backend-dir', d.dqlite.backend, '--dqlite-bin', d.dqlite.bin, '--database', d.dqlite.database];
  const api = { env: [], args: kube };
  return new Map([
    ['check_dqlite_lock', { env: [], args: journal }],
    ['check_kine_retries', { env: [], args: journal }],
    ['check_services', { env: [path, state], args: ['--snap-data', d.snapData] }],
    ['check_dqlite', { env: [], args: [...dqlite, ...kube] }],
    ['check_dqlite_storage', { env: [], args: dqlite }],
    ['check_nodes', api],
    ['check_leases', { env: [state], args: [...kube, ...dqlite] }],
    ['check_watch_cache', api],
    ['check_stale_jobs', api],
    ['check_observed_generation', api],
    ['check_scheduling', api],
    ['check_apiserver', api],
    ['check_certs', { env: [], args: [...kube, '--cert-dir', d.certDir, '--backend-dir', d.dqlite.backend] }],
    ['check_cronjobs', api],
    ['check_pod_restarts', { env: [state], args: kube }],
    ['check_calico_routes', { env: [], args: [...kube, '--node', d.node] }],
    ['check_restart_preflight', { env: [path], args: [...kube, '--node', d.node, ...journal, ...dqlite] }],
  ]);
}

/** `microk8s-checks all` against the demo: every option its checks need, the stand-in first on PATH. */
export function allLine(d: DemoInputs): string {
  const args = [
    'all',
    '--kubeconfig',
    d.kubeconfig,
    '--journal-dir',
    d.journalDir,
    '--node',
    d.node,
    '--backend-dir',
    d.dqlite.backend,
    '--dqlite-bin',
    d.dqlite.bin,
    '--database',
    d.dqlite.database,
    '--cert-dir',
    d.certDir,
    '--snap-data',
    d.snapData,
    ...d.units.flatMap((u) => ['--unit', u]),
  ];
  return [`PATH=${quote(d.bin)}:"$PATH"`, `XDG_STATE_HOME=${quote(d.state)}`, `${DIST}/microk8s-checks`, ...args.map(quote)].join(' ');
}

export function instructions(d: DemoInputs): string {
  const each = lines(d);
  const out = [
    `microk8s-checks demo (${d.storm ? STORM : 'calm: no storm'}), files in ${d.dir}`,
    `  API server: the test API server (test/apiserver/) at ${d.kubeconfig}`,
    `  journal: ${d.journalDir}, real journal files (systemd-journal-remote), a new one every 15 s`,
    ...d.notes.map((n) => `  ${n}`),
    `  systemd cannot run here: a stand-in systemctl in ${d.bin} answers for the units (its format is systemd's; test/helpers/standins.ts)`,
    `  routes: check_calico_routes reads this host's own routing table (ip route); ${d.node}'s pods have no calico routes here`,
    `  $SNAP_DATA: ${d.snapData} (lock files of a joined control-plane node), certificates: ${d.certDir}`,
    '',
    '# each check alone',
  ];
  for (const entry of REGISTRY) {
    const line = each.get(entry.command);
    if (!line) continue;
    out.push([...line.env, `${DIST}/${entry.command}`, ...line.args.map(quote)].join(' '));
  }
  out.push(
    '',
    '# every check at once',
    allLine(d),
    '',
    'Serving until Ctrl-C (or SIGTERM); then everything above is stopped and removed.',
    '',
  );
  return out.join('\n');
}
