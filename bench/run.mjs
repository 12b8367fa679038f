// npm run bench: each check against what an admin would run for the same answer, in the same run,
// alternating, one warm-up then 5 runs, medians; ratios of wall time and peak RSS (the largest
// process of each side, from GNU time). Writes bench/RESULTS.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { firstLine } from './api-server.mjs';
import { RESULTS, writeResults } from './results.mjs';
import { enterOwnJournalNamespace } from './own-journal.mjs';
import { benchShared } from './shared.mjs';
import { measureStartups, median } from './startup.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, 'bench', 'work');
const NODE = process.execPath;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// Start-up is a few tens of milliseconds: more runs for a steady median.
const STARTUP_RUNS = Math.max(RUNS, 11);
const KUBELITE = 'snap.microk8s.daemon-kubelite.service';
const DQLITE = 'snap.microk8s.daemon-k8s-dqlite.service';
const JOURNAL_REMOTE = ['/usr/lib/systemd/systemd-journal-remote', '/lib/systemd/systemd-journal-remote'].find(existsSync);

function need() {
  const missing = [];
  if (!JOURNAL_REMOTE) missing.push('systemd-journal-remote');
  for (const [bin, pkg] of [
    ['/usr/bin/time', 'time'],
    ['jq', 'jq'],
    ['kubectl', 'kubectl'],
    ['journalctl', 'systemd'],
  ]) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() === 0) {
    console.log(`installing ${missing.join(' ')}`);
    execFileSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit' });
  } else {
    console.error(`bench needs: apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
}

/** A journal directory of n entries over the last 50 minutes, 1 in 200 a lock error. */
function buildJournal(n) {
  const dir = join(WORK, `journal-${n}`);
  if (existsSync(join(dir, 'done'))) {
    const age = Date.now() - Number(readFileSync(join(dir, 'done'), 'utf8'));
    if (age < 5 * 60_000) return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const child = spawn(JOURNAL_REMOTE, [`--output=${join(dir, 'remote.journal')}`, '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const now = Date.now();
  const span = 50 * 60_000;
  const boot = '3f9d2c4e8a1b4f6d9e0c7b5a2d4f6e8a';
  let i = 0;
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`systemd-journal-remote exited ${code}`));
      writeFileSync(join(dir, 'done'), String(Date.now()));
      done(dir);
    });
    const write = () => {
      let ok = true;
      while (ok && i < n) {
        const t = now - span + Math.floor((i / n) * span);
        const us = t * 1000 + (i % 1000);
        const d = new Date(t);
        const hh = d.toISOString().slice(11, 23);
        let unit = KUBELITE,
          ident = 'microk8s.daemon-kubelite',
          pid = 2348286,
          msg;
        if (i % 200 === 0) {
          unit = DQLITE;
          ident = 'microk8s.daemon-k8s-dqlite';
          pid = 739;
          msg =
            `time="${d.toISOString().slice(0, 19)}Z" level=error msg="error in txn: update ` +
            `transaction failed for key /registry/leases/kube-system/kube-controller-manager: exec ` +
            `(try: 500): database is locked"`;
        } else if (i % 4 === 1) {
          unit = 'snap.microk8s.daemon-containerd.service';
          ident = 'microk8s.daemon-containerd';
          pid = 1201;
          msg = `time="${d.toISOString()}" level=info msg="ImageCreate event name:\\"docker.io/library/nginx:1.27\\""`;
        } else {
          msg =
            `I1124 ${hh}000 ${pid} replica_set.go:676] "Finished syncing" kind="ReplicaSet" ` +
            `key="web/frontend-${i % 97}-5885496bf5" duration="${(i % 90) + 1}.646528ms"`;
        }
        ok = child.stdin.write(
          `__REALTIME_TIMESTAMP=${us}\n__MONOTONIC_TIMESTAMP=${us - now * 1000 + 9e12}\n` +
            `_BOOT_ID=${boot}\n_HOSTNAME=k8s02\nPRIORITY=6\nSYSLOG_IDENTIFIER=${ident}\n_PID=${pid}\n` +
            `_SYSTEMD_UNIT=${unit}\nMESSAGE=${msg}\n\n`,
        );
        i++;
      }
      if (i < n) child.stdin.once('drain', write);
      else child.stdin.end();
    };
    write();
  });
}

/** Run a shell command line under GNU time: wall seconds (hrtime) and peak RSS in MB. */
function measure(cmdline) {
  const out = join(WORK, 'time.out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, 'sh', '-c', cmdline], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = Number(readFileSync(out, 'utf8').trim().split('\n').pop()) / 1024;
  // A check run with -vv reports its own process's peak RSS (without journalctl) on stderr.
  const own = /"maxRssKiB":(\d+)/.exec(r.stderr ?? '');
  return { wall, rss, ownRss: own ? Number(own[1]) / 1024 : undefined, stdout: r.stdout, status: r.status };
}

function compare(name, check, pipeline, sameAnswer) {
  measure(check);
  measure(pipeline);
  const c = [],
    p = [];
  let checkOut = '',
    pipeOut = '';
  for (let i = 0; i < RUNS; i++) {
    const a = measure(check);
    const b = measure(pipeline);
    c.push(a);
    p.push(b);
    checkOut = a.stdout;
    pipeOut = b.stdout;
  }
  const row = {
    name,
    checkWall: median(c.map((x) => x.wall)),
    pipeWall: median(p.map((x) => x.wall)),
    checkRss: median(c.map((x) => x.rss)),
    pipeRss: median(p.map((x) => x.rss)),
    ownRss: median(c.map((x) => x.ownRss ?? NaN)),
    answer: sameAnswer(checkOut, pipeOut),
  };
  row.wallRatio = row.checkWall / row.pipeWall;
  row.rssRatio = row.checkRss / row.pipeRss;
  console.log(
    `${name}: check ${row.checkWall.toFixed(3)} s ${row.checkRss.toFixed(0)} MB (own process ` +
      `${row.ownRss.toFixed(0)} MB), pipeline ${row.pipeWall.toFixed(3)} s ` +
      `${row.pipeRss.toFixed(0)} MB, ratio ${row.wallRatio.toFixed(2)}x wall ` +
      `${row.rssRatio.toFixed(2)}x RSS; ${row.answer}`,
  );
  return row;
}

const perf = (out, label) => Number(new RegExp(`\\b${label}=([\\d.]+)`).exec(out)?.[1]);
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

async function startApi(jobs) {
  const dir = join(WORK, `api-${jobs}`);
  const child = spawn(NODE, [join(ROOT, 'test/apiserver/main.ts'), '--jobs', String(jobs), '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { child, ...(await firstLine(child)) };
}

need();
// The last part (benchShared) reads the bench journal as a node's own: in a mount namespace of its
// own, with a tmpfs on /var/log. Entered once what the bench needs is installed: installed in there,
// a package's files under /var/log, and dpkg's and apt's logs of it, went to the tmpfs and were lost.
enterOwnJournalNamespace();
mkdirSync(WORK, { recursive: true });
const rows = [];

for (const n of [200_000, 1_000_000]) {
  const dir = await buildJournal(n);
  const files = readdirSync(dir).filter((f) => f.endsWith('.journal')).length;
  console.log(`journal of ${n} entries: ${files} files in ${dir}`);
  rows.push(
    compare(
      `check_dqlite_lock, ${n.toLocaleString('en')} entries`,
      `${ROOT}/dist/check_dqlite_lock --journal-dir ${q(dir)} --since 1h -t 60 -vv`,
      `journalctl --directory ${q(dir)} -u ${KUBELITE} -u ${DQLITE} --since -1h | grep -c 'database is locked'`,
      (c, p) =>
        perf(c, 'locked') === Number(p.trim()) ? `same answer (${p.trim()})` : `ANSWERS DIFFER: check ${perf(c, 'locked')} vs ${p.trim()}`,
    ),
  );
}

const JQ =
  `[.items[] | select(any(.status.conditions[]?; (.type=="Complete" or .type=="Failed") and ` +
  `.status=="True")) | select(((.status.completionTime // ([.status.conditions[] | ` +
  `select(.type=="Failed")][0].lastTransitionTime)) | fromdateiso8601) < (now - 3600))] | ` +
  `length`;
for (const jobs of [5_000, 50_000]) {
  const api = await startApi(jobs);
  try {
    rows.push(
      compare(
        `check_stale_jobs, ${jobs.toLocaleString('en')} Jobs`,
        `${ROOT}/dist/check_stale_jobs --kubeconfig ${q(api.kubeconfig)} -t 60 -w 10000000 -c 10000000 -vv`,
        `kubectl --kubeconfig ${q(api.kubeconfig)} get jobs -A -o json | jq ${q(JQ)}`,
        (c, p) =>
          perf(c, 'stale') === Number(p.trim()) ? `same answer (${p.trim()})` : `ANSWERS DIFFER: check ${perf(c, 'stale')} vs ${p.trim()}`,
      ),
    );
  } finally {
    api.child.kill();
  }
}

// microk8s-checks all against the slowest of the checks it runs, each run alone (goal: < 1.5x),
// then every check's start-up until its first request (goal: <= 0.10 s).
let allRow;
let startups;
{
  const api = await startApi(5_000);
  try {
    const journal = join(WORK, 'journal-200000');
    const kube = `--kubeconfig ${q(api.kubeconfig)}`;
    const singles = [
      'check_dqlite_lock --since 5m',
      'check_kine_retries --since 5m',
      'check_nodes',
      'check_leases',
      'check_watch_cache',
      'check_stale_jobs',
      'check_observed_generation',
      'check_scheduling',
      'check_calico_routes --node node1',
      'check_restart_preflight --node node1',
    ].map((c) => {
      const base = c.split(' ')[0];
      const journalOption = `--journal-dir ${q(journal)}`;
      const sources = base.includes('preflight')
        ? `${kube} ${journalOption}`
        : base.includes('dqlite') || base.includes('kine')
          ? journalOption
          : kube;
      return `${ROOT}/dist/${c} ${sources} -t 30`;
    });
    const all = `${ROOT}/dist/microk8s-checks all ${kube} --journal-dir ${q(journal)} --node node1 -t 30 --format json`;
    measure(all);
    const allWall = median(Array.from({ length: RUNS }, () => measure(all).wall));
    const slowest = Math.max(
      ...singles.map((cmd) => {
        measure(cmd); // warm-up
        return median(Array.from({ length: RUNS }, () => measure(cmd).wall));
      }),
    );
    allRow = { allWall, slowest, ratio: allWall / slowest };
    console.log(
      `microk8s-checks all: ${allWall.toFixed(3)} s, slowest single check ${slowest.toFixed(3)} s, ratio ${allRow.ratio.toFixed(2)}x`,
    );
    // This server's kubeconfig (a real CA and token) is rewritten to point at the stand-in source.
    startups = await measureStartups({ kubeconfig: api.kubeconfig, journalDir: journal, runs: STARTUP_RUNS });
  } finally {
    api.child.kill();
  }
}

const bare = median(Array.from({ length: RUNS }, () => measure(`${NODE} -e 0`).wall));

const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const dirty = execFileSync(
  'git',
  ['-C', ROOT, 'status', '--porcelain', '--', 'lib', 'checks', 'cli', 'build.mjs', 'build-plugins.mjs', 'package-lock.json'],
  { encoding: 'utf8' },
).trim()
  ? ' (with uncommitted changes)'
  : '';
/** One scenario's row of the results table. */
const tableRow = (r) =>
  `| ${r.name} | ${r.checkWall.toFixed(3)} s | ${r.pipeWall.toFixed(3)} s | **${r.wallRatio.toFixed(2)}x** | ` +
  `${r.checkRss.toFixed(0)} MB / ${r.pipeRss.toFixed(0)} MB | ${r.ownRss.toFixed(0)} MB | ${r.answer} |`;
const md = `# Benchmark results

Measured by \`npm run bench\` (bench/run.mjs) at commit \`${commit}\`${dirty}, ${new Date().toISOString().slice(0, 16)}Z,
on ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}. One warm-up, then ${RUNS} runs of each
side alternating; medians. Peak RSS is the largest process of each side (GNU time). Ratio = check / pipeline:
below 1 the check is faster or smaller.

| scenario | check | admin's pipeline | wall ratio | peak RSS, largest process: check side / pipeline | the check's own process | answer |
|---|---|---|---|---|---|---|
${rows.map(tableRow).join('\n')}

Pipelines: \`journalctl --directory D -u kubelite -u k8s-dqlite --since -1h | grep -c 'database is locked'\`;
\`kubectl get jobs -A -o json | jq '<finished over an hour ago> | length'\`.

Peak RSS of the check's own process (the node process; journalctl's mapped journal pages are its own
and count on both sides): check_dqlite_lock ${rows
  .filter((r) => r.name.startsWith('check_dqlite_lock'))
  .map((r) => `${r.ownRss.toFixed(0)} MB at ${r.name.split(', ')[1]}`)
  .join(', ')};
check_stale_jobs ${rows
  .filter((r) => r.name.startsWith('check_stale_jobs'))
  .map((r) => `${r.ownRss.toFixed(0)} MB at ${r.name.split(', ')[1]}`)
  .join(', ')}.

\`microk8s-checks all\` (every check at once, 5,000 Jobs, the 200,000-entry journal): ${allRow.allWall.toFixed(3)} s against
${allRow.slowest.toFixed(3)} s for the slowest single check run alone: **${allRow.ratio.toFixed(2)}x** (goal below 1.5x).

Start-up until the first request (bench/startup.mjs, also \`npm run bench:startup\`): from starting the
launcher to the first request reaching a source. A local listener stands in for the sources: the API
server of the kubeconfig (its TLS ClientHello is the request's first byte), and journalctl and ip
(stand-ins on PATH that tell the listener they started, then exec the real command). Median of
${STARTUP_RUNS} runs after 2 warm-ups (the code cache is warm); bare \`node -e 0\` takes ${bare.toFixed(3)} s. Goal: 0.10 s.

| check | start-up until its first request | the first request |
|---|---|---|
${startups.map((s) => `| ${s.check} | **${s.seconds.toFixed(3)} s** | ${s.what} |`).join('\n')}

Where an API check's CPU goes (\`--cpu-prof\`, check_nodes against 3 nodes, code cache warm, 8 runs):
Node itself and its built-ins about 0.03 s; reading the command's code cache into V8 about 0.02 s
(a 1.8 MB cache: every function the run compiled, so none is compiled again); the bundle's code
about 0.045 s (client-node's models, yargs, the kubeconfig, the check's own reading and judging);
TLS 0.013 s; the garbage collector 0.01 s. Before the code cache (Node's compile cache of ES
modules, which holds only what is compiled before a module runs) each run compiled about 600
functions again: check_nodes took 0.144 against 0.119 CPU-s.
Requests go over Node's https (lib/sources/kube/transport.ts), so undici, client-node's own
HTTP client, is in the bundle but never runs: loading it with the built-ins it needs (http2,
zlib, ...) had been a third of the start-up. The build also keeps out what a check does not use
(build-plugins.mjs): yargs' help layout, Node's own undici behind node:http's ES module facade,
client-node modules no check reaches, and pino without \`-v\`.
`;
// The sections the other benchmarks write (## headings: bench:cycle, bench:shared) are kept.
const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
const kept = old.includes('\n## ') ? old.slice(old.indexOf('\n## ')) : '';
writeResults(`${md.trimEnd()}\n${kept}`);
console.log('wrote bench/RESULTS.md');
// all and one shared cycle against the checks alone: requests, bytes, connections (#29).
await benchShared();
