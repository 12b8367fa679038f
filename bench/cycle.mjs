// npm run bench:cycle: the CPU one poll cycle costs a node. Every NRPE command of
// nrpe/microk8s-checks.cfg that `microk8s-checks all` also runs here, against the same inputs
// (the test API server with 1,000 Jobs, 50 Deployments, 3 nodes; a 20,000-entry journal):
// run alone one by one, through the shared cycle (--cycle=55, as NRPE runs them), and one `all`.
// CPU seconds (user + system, every process started, the background shared run too); medians.
// Updates bench/RESULTS.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstLine } from './api-server.mjs';
import { enterOwnJournalNamespace, journalSaid, nodeJournal } from './own-journal.mjs';
import { writeResults } from './results.mjs';
import { median } from './startup.mjs';

enterOwnJournalNamespace();
const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const work = mkdtempSync(join(tmpdir(), 'mk8s-cycle-bench-'));
// The checks' default state files (`all`'s) in the work directory, not the user's ~/.local/state.
process.env.XDG_STATE_HOME = join(work, 'state');

/**
 * CPU seconds of a shell command line and everything it started, the shared run too: a launcher
 * leaves it running in the background when its own answer is out, so it outlives the command and
 * no wait() of the shell collects it. A child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER, set by
 * python3 here: Node cannot) is handed every orphan, reaps each, and so counts its CPU.
 */
const SUBREAPER = [
  'import ctypes, os, subprocess, sys',
  'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)',
  // What a wrapper (a pyenv shim) spent before this interpreter ran is not the command's.
  't0 = os.times()',
  'subprocess.call(["sh", "-c", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
  'while True:',
  '    try: os.wait()',
  '    except ChildProcessError: break',
  't = os.times()',
  'print(t.children_user + t.children_system - t0.children_user - t0.children_system)',
].join('\n');
function cpu(cmdline, env = process.env) {
  const r = spawnSync('python3', ['-c', SUBREAPER, cmdline], { env, encoding: 'utf8' });
  return Number(r.stdout.trim());
}

const journal = await nodeJournal(join(work, 'journal'), 'node1');
const server = spawn(
  process.execPath,
  [join(ROOT, 'test/apiserver/main.ts'), '--jobs', '1000', '--deployments', '50', '--nodes', '3', '--dir', join(work, 'api')],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const { kubeconfig } = await firstLine(server);
try {
  // The NRPE commands, rendered for these inputs, of the checks `all` runs on this machine.
  const here = [
    'dqlite_lock',
    'kine_retries',
    'stale_jobs',
    'observed_generation',
    'calico_routes',
    'nodes',
    'leases',
    'watch_cache',
    'scheduling',
    'restart_preflight',
    'apiserver',
    'cronjobs',
    'pod_restarts',
  ];
  const commands = [
    ...readFileSync(join(ROOT, 'nrpe/microk8s-checks.cfg'), 'utf8').matchAll(/^command\[[^\]]+\]=(\S+\/check_(\w+)) (.*)$/gm),
  ]
    .filter((m) => here.includes(m[2]))
    .map((m) => {
      let line = `${ROOT}/dist/check_${m[2]} ${m[3].replaceAll('/etc/nagios/microk8s.kubeconfig', q(kubeconfig))}`;
      if (/^(dqlite_lock|kine_retries|restart_preflight)$/.test(m[2]) && journal.args) line += ` ${journal.args}`;
      if (/^(calico_routes|restart_preflight)$/.test(m[2])) line += ' --node node1';
      if (/^(leases|pod_restarts)$/.test(m[2])) line += ` --state-file ${q(join(work, `${m[2]}.json`))}`;
      return line;
    });
  const alone = commands.map((c) => c.replace(' --cycle=55', ''));
  const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
  const answers = join(work, 'cache', 'microk8s-checks', 'cycle', 'results');
  // A control-plane node's $SNAP_DATA as `all` looks at it (its lock directory): without it, on a
  // host that is no MicroK8s node, `all` leaves the gate out, and would be one check short of the cycle.
  const snap = join(work, 'snap');
  mkdirSync(join(snap, 'var', 'lock'), { recursive: true });
  const all =
    `${ROOT}/dist/microk8s-checks all --kubeconfig ${q(kubeconfig)} ${journal.args} ` +
    `--node node1 --snap-data ${q(snap)} -t 30 --format json`;

  for (const c of [...alone, ...commands]) cpu(c, env); // warm-up: compile caches; every command line known to the cycle
  // The comparison holds only if `all` runs the checks the cycle's command lines run, no fewer.
  const ran = JSON.parse(spawnSync('sh', ['-c', all], { encoding: 'utf8' }).stdout)
    .filter((o) => o.state !== 'SKIPPED')
    .map((o) => o.check.toLowerCase().replaceAll('-', '_'));
  const missing = commands.map((c) => /\/check_(\w+) /.exec(c)[1]).filter((name) => !ran.includes(name));
  if (missing.length) throw new Error(`microk8s-checks all does not run ${missing.join(', ')} here: no fair comparison`);
  const aloneCpu = [];
  const cycleCpu = [];
  const allCpu = [];
  // Where a cycle's CPU goes: the first poll (its launcher and the shared run it starts, which
  // evaluates every other command line too), a command NRPE runs without --cycle (none now:
  // check_apiserver shares the cycle too, docs/poll-cycle.md), and the launchers served an answer.
  const parts = { first: [], apiserver: [], served: [] };
  const load = [loadavg()];
  for (let i = 0; i < RUNS; i++) {
    aloneCpu.push(alone.reduce((n, c) => n + cpu(c), 0));
    // As NRPE polls: every command line was asked for in the previous minute (a shared run drops
    // the lines not asked for in their last 3 cycles, and the runs alone above take that long on
    // a busy machine)...
    for (const c of commands) cpu(c, env);
    // ...and a new cycle: every answer has expired; the first poll makes the shared run.
    for (const f of existsSync(answers) ? readdirSync(answers) : []) rmSync(join(answers, f));
    const each = commands.map((c) => cpu(c, env));
    cycleCpu.push(each.reduce((n, x) => n + x, 0));
    const own = commands.findIndex((c) => !c.includes(' --cycle='));
    parts.first.push(each[0]);
    parts.apiserver.push(own === -1 ? 0 : each[own]);
    parts.served.push(each.reduce((n, x, j) => (j === 0 || j === own ? n : n + x), 0));
    allCpu.push(cpu(all));
  }
  load.push(loadavg());
  const row = { commands: commands.length, alone: median(aloneCpu), cycle: median(cycleCpu), all: median(allCpu) };
  const unshared = commands.some((c) => !c.includes(' --cycle=')) ? 1 : 0;
  const part = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)]));
  const la = (l) => l.map((x) => x.toFixed(2)).join(', ');
  console.log(row);
  const section =
    `## Cost of one poll cycle

Measured by \`npm run bench:cycle\` (bench/cycle.mjs), ${new Date().toISOString().slice(0, 16)}Z: the ${row.commands} NRPE commands
of nrpe/microk8s-checks.cfg that \`microk8s-checks all\` also runs on this machine (check_dqlite, check_dqlite_storage,
check_services and check_certs need a MicroK8s node), against the test API server (1,000 Jobs, 50 Deployments, 3 nodes)
and a 20,000-entry journal (${journalSaid()}). CPU seconds (user + system, every process), medians of ${RUNS}.

| | CPU per cycle | against one \`all\` |
|---|---|---|
| each command alone, one by one (NRPE without \`--cycle\`) | ${row.alone.toFixed(2)} s | ${(row.alone / row.all).toFixed(2)}x |
| the NRPE route with \`--cycle=55\` (one shared run, the rest served) | ` +
    `${row.cycle.toFixed(2)} s | **${(row.cycle / row.all).toFixed(2)}x** |
| one \`microk8s-checks all\` | ${row.all.toFixed(2)} s | 1x |

Of the \`--cycle\` route (medians of each part): the first poll, its launcher and the shared run it
starts ${part.first.toFixed(2)} s; ${
      unshared ? `the command without \`--cycle\`, run alone, ${part.apiserver.toFixed(2)} s; ` : ''
    }the other ${row.commands - 1 - unshared} launchers, served
an answer, ${part.served.toFixed(2)} s. Load average (1, 5, 15 min) ${la(load[0])} at the start, ${la(load[1])} at the end
(the machine has ${availableParallelism()} cores).
`;
  const file = join(ROOT, 'bench/RESULTS.md');
  const old = readFileSync(file, 'utf8');
  const at = old.indexOf('## Cost of one poll cycle');
  const rest = at === -1 ? '' : old.slice(at).replace(/^## Cost of one poll cycle[\s\S]*?(?=\n## |$)/, '');
  writeResults(`${(at === -1 ? old : old.slice(0, at)).trimEnd()}\n\n${section}${rest}`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
