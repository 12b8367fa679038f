// Ctrl-C at a terminal: an on-call engineer runs a check by hand and gives up on it. The terminal
// sends SIGINT to its whole foreground process group at once (the launcher, the check's Node, and
// whatever else runs in that group), which is what these tests do, to a launcher started as the
// leader of a group of its own. The engineer expects the check to end at once, UNKNOWN as when a
// poller stops it (docs/output.md), with nothing left running; with --cycle, the shared run other
// pollers wait for must go on (docs/poll-cycle.md). Under /bin/sh, and under bash where it is sh.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { addHealthyCluster, type TestCluster, useCluster } from '../helpers/cluster.ts';
import { processesWith } from '../helpers/processes.ts';
import { DIST, runBuilt, runProcess } from '../helpers/run.ts';
import { until } from '../helpers/wait.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-ctrl-c-'));

/** The launcher as its shebang runs it, and as bash runs it where /bin/sh is bash. */
interface Shell {
  shell: string;
  argv: (command: string) => [string, string[]];
  argv0?: string;
}
const SHELLS: Shell[] = [
  { shell: '/bin/sh', argv: (command) => [`${DIST}/${command}`, []] },
  { shell: 'bash as sh', argv: (command) => ['/bin/bash', [`${DIST}/${command}`]], argv0: 'sh' },
];

interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `command` run from a terminal (a process group of its own); Ctrl-C once `ready()`. */
async function pressCtrlC(
  sh: Shell,
  command: string,
  args: string[],
  ready: () => boolean,
  env: NodeJS.ProcessEnv = process.env,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<Interrupted> {
  const [file, before] = sh.argv(command);
  const child: ChildProcess = spawn(file, [...before, ...args], {
    ...(sh.argv0 ? { argv0: sh.argv0 } : {}),
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((done) => child.on('close', done));
  await until(
    () => `${command} to be ready for Ctrl-C (stdout so far: ${JSON.stringify(stdout)})`,
    () => (ready() ? true : undefined),
    { timeoutMs: 20_000, intervalMs: 50 },
  );
  process.kill(-child.pid!, signal);
  return { code: await closed, stdout, stderr };
}

/**
 * A runtime that stands still before the check's first line runs, as Node does for its first
 * tenth of a second while it loads the bundle, once it has written `mark`: the check's own
 * handling of signals is not yet in place.
 */
function slowStartingRuntime(): { env: NodeJS.ProcessEnv; mark: string; started: () => boolean; running: () => string[] } {
  const dir = scratch();
  const mark = join(dir, 'loading');
  const preload = join(dir, 'still-loading.cjs');
  writeFileSync(
    preload,
    `require('node:fs').writeFileSync(${JSON.stringify(mark)}, '');\n` +
      'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);\n',
  );
  const runtime = join(dir, 'node');
  writeFileSync(runtime, `#!/bin/sh\nexec '${process.execPath}' --require '${preload}' "$@"\n`, { mode: 0o755 });
  return {
    env: { ...process.env, MICROK8S_CHECKS_NODE: runtime },
    mark,
    started: () => existsSync(mark),
    running: () => processesWith(`--require ${preload} `),
  };
}

/** A kubeconfig whose credential plugin never answers; `sleeping`: its processes still running. */
function hungPlugin(): { config: string; sleeping: () => string[] } {
  const dir = scratch();
  const marker = `sleep 7${process.pid}${Date.now() % 100000}`;
  const plugin = join(dir, 'cred-plugin');
  writeFileSync(plugin, `#!/bin/sh\n${marker}\n:\n`, { mode: 0o755 });
  const config = writeKubeconfig(dir, c.api.url, c.certs.ca, { exec: plugin }, 'kubeconfig-exec');
  return { config, sleeping: () => processesWith(marker) };
}

describe.each(SHELLS)('Ctrl-C under $shell', (sh) => {
  it('while the check is still starting: UNKNOWN "stopped by SIGINT", exit 3, not a runtime that died', async () => {
    const runtime = slowStartingRuntime();
    for (const command of ['check_nodes', 'microk8s-checks']) {
      rmSync(runtime.mark, { force: true });
      const args = command === 'microk8s-checks' ? ['all', '--kubeconfig', c.kubeconfig] : ['--kubeconfig', c.kubeconfig];
      const r = await pressCtrlC(sh, command, args, runtime.started, runtime.env);
      const name = command === 'microk8s-checks' ? 'MICROK8S-CHECKS' : 'NODES';
      expect(r.stdout, r.stderr).toBe(`${name} UNKNOWN - stopped by SIGINT\n`);
      expect(r.code).toBe(3);
      expect(runtime.running()).toEqual([]);
    }
  });

  // Ctrl-\ (SIGQUIT) is a stop as Ctrl-C is: its default, a core dump, left the plugin running.
  it.each(['SIGINT', 'SIGQUIT'] as const)(
    'while a credential plugin hangs, %s: the check says what it waited for, exit 3, the plugin is gone',
    async (signal) => {
      addHealthyCluster(c.api);
      const { config, sleeping } = hungPlugin();
      const hung = () => sleeping().length > 0;
      const r = await pressCtrlC(sh, 'check_nodes', ['--kubeconfig', config, '-t', '30'], hung, process.env, signal);
      expect(r.stdout).toMatch(new RegExp(`^NODES UNKNOWN - stopped by ${signal} while waiting for credential plugin 'cred-plugin'`));
      expect(r.stdout.split('\n')).toHaveLength(2);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(3);
      await until(
        () => `the credential plugin to be gone (still: ${sleeping().join(', ')})`,
        () => (sleeping().length === 0 ? true : undefined),
        { timeoutMs: 5000 },
      );
    },
  );

  it("a poller's SIGTERM just as the check answers it: the check's line alone, never the launcher's stop after it", async () => {
    // A runtime that answers SIGTERM at once, as the check does: the launcher passes the signal
    // on and its wait is cut short while the check ends. It said "stopped by SIGTERM" after the
    // check's own answer (7 runs in 8 here), which broke --format json.
    const dir = scratch();
    const mark = join(dir, 'running');
    const runtime = join(dir, 'node');
    writeFileSync(
      runtime,
      `#!/bin/sh\ntrap 'kill $! 2>/dev/null; echo "{\\"check\\":\\"NODES\\",\\"state\\":\\"UNKNOWN\\"}"; exit 3' TERM\n` +
        `sleep 30 &\n: > '${mark}'\nwait $!\n`,
      { mode: 0o755 },
    );
    for (let i = 0; i < 4; i++) {
      rmSync(mark, { force: true });
      const [file, before] = sh.argv('check_nodes');
      const child = spawn(file, [...before, '--format', 'json'], {
        ...(sh.argv0 ? { argv0: sh.argv0 } : {}),
        env: { ...process.env, MICROK8S_CHECKS_NODE: runtime },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      const closed = new Promise<number | null>((done) => child.on('close', done));
      await until(
        () => 'the runtime to run',
        () => (existsSync(mark) ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 20 },
      );
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGTERM');
      expect([await closed, stdout]).toEqual([3, '{"check":"NODES","state":"UNKNOWN"}\n']);
    }
  });

  it('while waiting for a shared poll cycle: the launcher stops, the run goes on and answers the poller waiting', async () => {
    const cache = scratch();
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const cycle = join(cache, 'microk8s-checks', 'cycle');
    const line = ['--cycle=55', '--kubeconfig', c.kubeconfig, '-t', '20'];
    // The API server answers /readyz only when let: the shared run is at work until then.
    let answer = () => {};
    const held = new Promise<void>((r) => (answer = r));
    let asked = 0;
    c.api.healthGate = (endpoint) => {
      if (endpoint === 'readyz') asked++;
      return held;
    };
    const list = (dir: string) => (existsSync(join(cycle, dir)) ? readdirSync(join(cycle, dir)).filter((f) => !f.endsWith('.tmp')) : []);
    let poller: ReturnType<typeof runBuilt> | undefined;
    // The engineer's launcher starts the shared run; a poller's (NRPE's, another process group)
    // then waits for the same command line's answer from it.
    const r = await pressCtrlC(
      sh,
      'check_apiserver',
      line,
      () => {
        if (asked === 0 || list('claims').length !== 1) return false;
        poller ??= runBuilt('check_apiserver', line, { env });
        return list('known').length === 2;
      },
      env,
    );
    expect(r.stdout).toBe('APISERVER UNKNOWN - stopped by SIGINT while waiting for the shared poll cycle (--cycle)\n');
    expect(r.code).toBe(3);
    answer();
    const served = await poller!;
    // Its verdict (its readyz_time is as long as /readyz was held), never the stop.
    expect(served.first).toMatch(/^APISERVER (OK|WARNING|CRITICAL) - 127\.0\.0\.1:\d+: /);
    expect(served.stdout.split('\n')[1]).toMatch(/^answer of the shared poll cycle, /);
    expect(served.stdout).not.toContain('stopped by');
    // From the run the engineer's launcher started: no second run asked again.
    expect(asked).toBe(1);
    // That run ends by itself once it has answered.
    await until(
      () => `the shared run to end (still: ${processesWith(cache).join(', ')})`,
      () => (processesWith(cache).length === 0 ? true : undefined),
      { timeoutMs: 10_000 },
    );
  });
});

it("a caller's variable named like the launcher's own (stopped, child) changes nothing", async () => {
  // bash as sh took it for a signal passed on, waited again for a check already waited for, and
  // said "the check's runtime died (exit 127)" after the check's own line.
  addHealthyCluster(c.api);
  const env = { ...process.env, stopped: '1', child: '1' };
  for (const sh of SHELLS) {
    const [file, before] = sh.argv('check_nodes');
    const r = await runProcess(file, [...before, '--kubeconfig', c.kubeconfig], { env, ...(sh.argv0 ? { argv0: sh.argv0 } : {}) });
    expect(r.stdout, sh.shell).toMatch(/^NODES OK - 3 nodes, all Ready/);
    expect(r.stdout).not.toContain('UNKNOWN');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
});
