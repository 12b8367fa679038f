// npm run bench:shared (also run by npm run bench): what `microk8s-checks all` and one shared poll
// cycle cost the API server and this node, beside each check run alone (#29). The test API server
// holds 1,000 Jobs, 50 Deployments, 3 nodes and 300 or 10,000 pods, and logs every request
// (--log): requests, list requests, bytes it sent, TLS connections. This host plays a control-plane
// node, where `all` runs (docs/nrpe.md): a real dqlite cluster of three dqlite-demo nodes asked
// with the v1 CLI, and the tests' stand-in systemctl (this machine runs no systemd), so the
// datastore checks run and the gate judges every source, as on a node. Wall and CPU seconds (user +
// system, every process, the cycle's background run too) and peak RSS (the largest process), from
// a child subreaper; one warm-up, then BENCH_RUNS runs alternating, medians. Writes its section
// of bench/RESULTS.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_DATABASE, DQLITE_CLI, startDqlite } from '../test/helpers/dqlite.ts';
import { healthyNode } from '../test/helpers/standins.ts';
import { firstLine } from './api-server.mjs';
import { enterOwnJournalNamespace, journalSaid, nodeJournal } from './own-journal.mjs';
import { writeResults } from './results.mjs';
import { median } from './startup.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Wall seconds, CPU seconds and the peak RSS (MB) of a shell command line and everything it
 * started, the cycle's shared run too, which outlives the launcher that started it: a child
 * subreaper (prctl PR_SET_CHILD_SUBREAPER, set by python3: Node cannot) is handed every orphan
 * and reaps it, so its CPU and RSS count. Wall is until the last of them ended.
 */
const SUBREAPER = [
  'import ctypes, os, resource, subprocess, sys, time',
  'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)',
  't0 = os.times(); w0 = time.monotonic()',
  'subprocess.call(["sh", "-c", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
  'while True:',
  '    try: os.wait()',
  '    except ChildProcessError: break',
  't = os.times()',
  'cpu = t.children_user + t.children_system - t0.children_user - t0.children_system',
  'print(time.monotonic() - w0, cpu, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)',
].join('\n');

async function measure(cmdline, log, env = process.env) {
  rmSync(log, { force: true });
  const r = spawnSync('python3', ['-c', SUBREAPER, cmdline], { env, encoding: 'utf8' });
  const [wall, cpu, rss] = r.stdout.trim().split(' ').map(Number);
  // The server logs a request once its response is written: a moment for the last line.
  await new Promise((done) => setTimeout(done, 100));
  const requests = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  // A list: a collection path (no object name after the resource), not a health endpoint.
  const isList = (r) =>
    /^\/(api\/v1|apis\/[^/]+\/[^/]+)(\/namespaces\/[^/]+)?\/[^/]+$/.test(r.path) && !/\/namespaces\/[^/]+$/.test(r.path);
  return {
    wall,
    cpu,
    rss,
    requests: requests.length,
    lists: requests.filter(isList).length,
    bytes: requests.reduce((n, x) => n + x.bytes, 0),
    connections: new Set(requests.map((x) => x.connection)).size,
    podLists: requests.filter((x) => /\/pods$/.test(x.path) && x.query.continue === undefined).length,
    nodeLists: requests.filter((x) => x.path === '/api/v1/nodes').length,
    leaseGets: requests.filter((x) => /\/kube-system\/leases\/[^/]+$/.test(x.path)).length,
  };
}

const med = (rows) => Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));

export async function benchShared() {
  const work = mkdtempSync(join(tmpdir(), 'mk8s-shared-bench-'));
  // The checks' default state files (`all`'s check_leases and check_pod_restarts) in the work
  // directory, not the user's ~/.local/state: each test API server has a port, so a file, of its own.
  process.env.XDG_STATE_HOME = join(work, 'state');
  const log = join(work, 'requests.log');
  // A control-plane node's $SNAP_DATA as `all` looks at it (its lock directory), so the gate runs too.
  const snap = join(work, 'snap');
  mkdirSync(join(snap, 'var', 'lock'), { recursive: true });
  const dqlite = await startDqlite(3);
  const systemd = await healthyNode(join(work, 'node'));
  process.env.PATH = systemd.path;
  const ds = `--dqlite-bin ${q(DQLITE_CLI)} --backend-dir ${q(dqlite.nodes[0].backend)} --database ${DEMO_DATABASE}`;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const scenarios = [];
  // The dqlite cluster and the stand-ins stopped whatever ends the runs (a server that never listened).
  try {
    for (const pods of [300, 10_000]) {
      // Its entries span the last 10 minutes from now: built anew for each size (and each round
      // below), or the checks' windows (5 minutes for check_dqlite_lock) would hold fewer of them for
      // the later runs, and `all`, which reads the journal, would look cheaper beside the pod checks.
      const journal = await nodeJournal(join(work, `journal-${pods}`), 'k8s01');
      const server = spawn(
        process.execPath,
        [
          join(ROOT, 'test/apiserver/main.ts'),
          '--jobs',
          '1000',
          '--deployments',
          '50',
          '--nodes',
          '3',
          '--pods',
          String(pods),
          '--dir',
          join(work, `api-${pods}`),
          '--log',
          log,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const { kubeconfig } = await firstLine(server);
      try {
        const kube = `--kubeconfig ${q(kubeconfig)}`;
        const jd = journal.args;
        const state = (name) => `--state-file ${q(join(work, `${name}.json`))}`;
        // Every check `all` runs here, alone, with the same inputs.
        const singles = {
          check_dqlite_lock: `check_dqlite_lock ${jd}`,
          check_kine_retries: `check_kine_retries ${jd}`,
          check_nodes: `check_nodes ${kube}`,
          check_dqlite: `check_dqlite ${kube} ${ds}`,
          check_dqlite_storage: `check_dqlite_storage ${ds}`,
          check_leases: `check_leases ${kube} ${ds} ${state('leases')}`,
          check_watch_cache: `check_watch_cache ${kube}`,
          check_stale_jobs: `check_stale_jobs ${kube}`,
          check_observed_generation: `check_observed_generation ${kube}`,
          check_scheduling: `check_scheduling ${kube}`,
          check_apiserver: `check_apiserver ${kube}`,
          check_cronjobs: `check_cronjobs ${kube}`,
          check_pod_restarts: `check_pod_restarts ${kube} ${state('pod_restarts')}`,
          check_calico_routes: `check_calico_routes ${kube} --node k8s01`,
          check_restart_preflight: `check_restart_preflight ${kube} ${jd} ${ds} --node k8s01`,
        };
        const line = (c) => `${ROOT}/dist/${c} -t 60`;
        const all = `${ROOT}/dist/microk8s-checks all ${kube} ${jd} ${ds} --node k8s01 --snap-data ${q(snap)} -t 60 --format json`;
        // The same checks through the shared poll cycle, as NRPE's command lines run them.
        const env = { ...process.env, XDG_CACHE_HOME: join(work, `cache-${pods}`) };
        const answers = join(work, `cache-${pods}`, 'microk8s-checks', 'cycle', 'results');
        const polls = Object.values(singles).map((c) => `${line(c)} --cycle=55`);
        const cycleCmd = polls.join('; ');
        const expire = () => {
          for (const f of existsSync(answers) ? readdirSync(answers) : []) rmSync(join(answers, f));
        };
        // Warm-up: compile caches; every command line known to the cycle.
        await measure(all, log);
        for (const c of Object.values(singles)) await measure(line(c), log);
        await measure(cycleCmd, log, env);
        const runs = { all: [], cycle: [], singles: Object.fromEntries(Object.keys(singles).map((k) => [k, []])) };
        for (let i = 0; i < RUNS; i++) {
          // The journal anew for each round: over a run of the bench its window would hold fewer and
          // fewer of its entries, and the rounds would differ by that more than by the code measured.
          await nodeJournal(journal.dir, 'k8s01');
          runs.all.push(await measure(all, log));
          for (const [name, c] of Object.entries(singles)) runs.singles[name].push(await measure(line(c), log));
          // A new cycle: every answer expired (each line asked for just now); the first poll makes the shared run.
          await measure(cycleCmd, log, env);
          expire();
          runs.cycle.push(await measure(cycleCmd, log, env));
        }
        const row = {
          pods,
          all: med(runs.all),
          cycle: med(runs.cycle),
          singles: Object.fromEntries(Object.entries(runs.singles).map(([k, v]) => [k, med(v)])),
        };
        row.onePodList = row.singles.check_scheduling.bytes;
        const s = Object.values(row.singles);
        row.slowestWall = Math.max(...s.map((x) => x.wall));
        row.slowestCpu = Math.max(...s.map((x) => x.cpu));
        row.slowestWallCheck = Object.keys(row.singles).find((k) => row.singles[k].wall === row.slowestWall);
        row.slowestCpuCheck = Object.keys(row.singles).find((k) => row.singles[k].cpu === row.slowestCpu);
        // Run by run, each `all` against the slowest single check of the same pass: how far the
        // median's ratio can be read (the same code varies by a tenth or two from one pass to the next here).
        const paired = (key) =>
          runs.all.map((a, i) => a[key] / Math.max(...Object.values(runs.singles).map((v) => v[i][key]))).sort((x, y) => x - y);
        row.pairedWall = paired('wall');
        row.pairedCpu = paired('cpu');
        console.log(JSON.stringify(row));
        scenarios.push(row);
      } finally {
        server.kill();
      }
    }
  } finally {
    systemd.close();
    await dqlite.stop();
    rmSync(work, { recursive: true, force: true });
  }

  const mb = (b) => (b / 1e6).toFixed(2);
  const s3 = (x) => `${x.toFixed(3)} s`;
  const cells = (m) =>
    [m.requests, m.lists, `${mb(m.bytes)} MB`, m.connections, s3(m.wall), s3(m.cpu), `${m.rss.toFixed(0)} MB`].join(' | ');
  const table = (r) =>
    [
      '| run | requests | list requests | MB from the API server | TLS connections | wall | CPU | peak RSS |',
      '|---|---|---|---|---|---|---|---|',
      `| **\`all\`** (every check below) | ${cells(r.all)} |`,
      `| **one shared cycle** (the same command lines with \`--cycle=55\`, polled one after another) | ${cells(r.cycle)} |`,
      ...Object.entries(r.singles).map(([k, m]) => `| ${k} alone | ${cells(m)} |`),
    ].join('\n');
  const spread = (xs) => `${xs[0].toFixed(2)}-${xs[xs.length - 1].toFixed(2)}x`;
  const ratios = (r) =>
    `\`all\`: ${(r.all.wall / r.slowestWall).toFixed(2)}x the slowest single check's wall (${r.slowestWallCheck}), ` +
    `${(r.all.cpu / r.slowestCpu).toFixed(2)}x its CPU (${r.slowestCpuCheck}); ` +
    `run by run (each run's \`all\` against that pass's slowest single check) ${spread(r.pairedWall)} the wall and ` +
    `${spread(r.pairedCpu)} the CPU, within 1.3x in ${r.pairedWall.filter((x) => x <= 1.3).length} and ` +
    `${r.pairedCpu.filter((x) => x <= 1.3).length} of ${r.pairedCpu.length} runs; ` +
    `${(r.all.bytes / r.onePodList).toFixed(2)}x one pod list's bytes; ` +
    `pods listed ${r.all.podLists}x, Nodes ${r.all.nodeLists}x, leader-lease GETs ${r.all.leaseGets}. ` +
    `One shared cycle: ${(r.cycle.bytes / r.onePodList).toFixed(2)}x one pod list's bytes, ` +
    `pods listed ${r.cycle.podLists}x, Nodes ${r.cycle.nodeLists}x, leader-lease GETs ${r.cycle.leaseGets}; ` +
    `its CPU ${(r.cycle.cpu / r.all.cpu).toFixed(2)}x one \`all\`.`;
  const commit = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const section = `## One read per resource: \`all\` and one shared cycle against the checks alone

Measured by \`npm run bench:shared\` (bench/shared.mjs) at \`${commit}\`, ${new Date().toISOString().slice(0, 16)}Z, on ${cpus().length} x
${cpus()[0]?.model ?? 'unknown CPU'}, load average at the start ${load}. The test API server with 1,000 Jobs, 50 Deployments, 3 nodes and
the pods below, a 20,000-entry journal (${journalSaid()}), this host as a control-plane node (a real dqlite cluster of three
dqlite-demo nodes asked with the v1 CLI, the tests' stand-in systemctl); requests, list requests, bytes and TLS
connections from the server's own request log; wall and CPU (user + system, every process), peak RSS of the largest
process; medians of ${RUNS} runs after a warm-up.
Goals (#29): \`all\` within 1.3x the slowest single check in wall and CPU; at 300 pods at most 14 requests, each resource
listed once; at 10,000 pods at most 1.3x one pod list's bytes (check_scheduling's list, unfiltered).

${scenarios.map((r) => `### ${r.pods.toLocaleString('en')} pods\n\n${table(r)}\n\n${ratios(r)}\n`).join('\n')}`;
  const file = join(ROOT, 'bench/RESULTS.md');
  const old = readFileSync(file, 'utf8');
  const title = '## One read per resource';
  const at = old.indexOf(title);
  const rest = at === -1 ? '' : old.slice(at).replace(/^## One read per resource[\s\S]*?(?=\n## |$)/, '');
  writeResults(`${(at === -1 ? old : old.slice(0, at)).trimEnd()}\n\n${section}${rest}`);
  console.log('wrote bench/RESULTS.md');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  enterOwnJournalNamespace();
  await benchShared();
}
