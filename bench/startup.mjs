// Start-up until the first request: from starting a check's launcher to the moment its first
// request reaches a source. A local listener stands in for every source: the kubeconfig's server
// points at it (the TLS ClientHello is the request's first byte), and journalctl, ip and systemctl on PATH are
// stand-ins that tell the listener they were started, then exec the real command. Their own bash
// start-up is counted against the check.
//
// `node bench/startup.mjs` measures alone (it starts the test API server for a kubeconfig with a
// real CA); bench/run.mjs calls measureStartups() with its own kubeconfig and journal.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstLine } from './api-server.mjs';

const ROOT = resolve(import.meta.dirname, '..');
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** What each check is given: enough to reach its first request, nothing that answers it. */
function argsOf(check, kubeconfig, journalDir, dqlite) {
  const kube = ['--kubeconfig', kubeconfig];
  const journal = ['--journal-dir', journalDir];
  switch (check) {
    case 'check_dqlite_lock':
    case 'check_kine_retries':
      return journal;
    case 'check_calico_routes':
      return [...kube, '--node', 'node1'];
    case 'check_restart_preflight':
      return [...kube, ...journal, '--node', 'node1'];
    // No MicroK8s lock files here to say which units: one named, for systemctl (the stand-in) to be asked.
    case 'check_services':
      return ['--unit', 'snap.microk8s.daemon-kubelite.service'];
    case 'check_dqlite':
      return ['--dqlite-bin', dqlite.bin, '--backend-dir', dqlite.backend];
    case 'check_dqlite_storage':
      return ['--backend-dir', dqlite.backend];
    // No MicroK8s certificate directory here: an empty one, so that its first request is the
    // API server's own certificate (a TLS handshake with the listener).
    case 'check_certs':
      return [...kube, '--cert-dir', dqlite.certs];
    default:
      return kube;
  }
}

/**
 * For each check: the median over `runs` of the time to its first request (after 2 warm-ups, so
 * the compile cache is warm), and what that request was.
 */
export async function measureStartups({ kubeconfig, journalDir, runs = 11, log = console.log }) {
  const work = mkdtempSync(join(tmpdir(), 'mk8s-startup-'));
  let t0 = 0;
  let hit;
  const server = createServer((socket) => {
    socket.once('data', (d) => {
      if (hit) hit({ ms: performance.now() - t0, what: d[0] === 0x16 ? 'API request' : `${String(d).trim()} started` });
      hit = undefined;
      socket.destroy();
    });
    socket.on('error', () => {});
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  try {
    const kc = join(work, 'kubeconfig');
    writeFileSync(kc, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/[^\s]+/g, `server: https://127.0.0.1:${port}`), {
      mode: 0o600,
    });
    const bin = join(work, 'bin');
    mkdirSync(bin);
    for (const cmd of ['journalctl', 'ip', 'systemctl']) {
      const real = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
      if (!real) continue;
      writeFileSync(join(bin, cmd), `#!/bin/bash\n{ printf '${cmd}' >/dev/tcp/127.0.0.1/${port}; } 2>/dev/null\nexec ${real} "$@"\n`);
      chmodSync(join(bin, cmd), 0o755);
    }
    // No dqlite CLI here: a stand-in that tells the listener, in a backend directory of one voter.
    const dqlite = { bin: join(bin, 'dqlite'), backend: join(work, 'backend'), certs: join(work, 'certs') };
    mkdirSync(dqlite.backend);
    mkdirSync(dqlite.certs);
    const member = 'Address: 127.0.0.1:19001\nID: 3297041220608546238\nRole: 0\n';
    writeFileSync(join(dqlite.backend, 'info.yaml'), member);
    writeFileSync(join(dqlite.backend, 'cluster.yaml'), member.replace(/^/gm, '  ').replace(/^ {2}/, '- '));
    for (const f of ['cluster.crt', 'cluster.key']) writeFileSync(join(dqlite.backend, f), 'PEM\n');
    writeFileSync(
      dqlite.bin,
      `#!/bin/bash\n{ printf 'dqlite' >/dev/tcp/127.0.0.1/${port}; } 2>/dev/null\necho '2dc171858c3155be|127.0.0.1:19001|voter'\n`,
    );
    chmodSync(dqlite.bin, 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const rows = [];
    for (const check of readdirSync(join(ROOT, 'dist'))
      .filter((f) => f.startsWith('check_'))
      .sort()) {
      const times = [];
      let what = '';
      for (let i = 0; i < runs + 2; i++) {
        const first = new Promise((ok) => (hit = ok));
        t0 = performance.now();
        const child = spawn(join(ROOT, 'dist', check), [...argsOf(check, kc, journalDir, dqlite), '-t', '5'], { env, stdio: 'ignore' });
        const exited = new Promise((ok) => child.on('close', ok));
        // A check that reads only local files (check_dqlite_storage) makes no request: its whole run counts.
        const filesOnly = check === 'check_dqlite_storage';
        const r = await Promise.race([
          first,
          exited.then(() => (filesOnly ? { ms: performance.now() - t0, what: 'whole run, local files only' } : undefined)),
        ]);
        await exited;
        if (!r) throw new Error(`${check} exited without a request`);
        if (i >= 2) times.push(r.ms);
        what = r.what;
      }
      const row = { check, seconds: median(times) / 1000, what };
      log(`start-up ${check}: ${row.seconds.toFixed(3)} s to its first request (${what})`);
      rows.push(row);
    }
    return rows;
  } finally {
    server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-startup-api-'));
  const api = spawn(process.execPath, [join(ROOT, 'test/apiserver/main.ts'), '--jobs', '10', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { kubeconfig } = await firstLine(api);
    const journalDir = join(dir, 'journal');
    mkdirSync(journalDir);
    await measureStartups({ kubeconfig, journalDir, runs: Number(process.env.BENCH_RUNS ?? 11) });
  } finally {
    api.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
