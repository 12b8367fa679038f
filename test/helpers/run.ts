import { spawn, type SpawnOptions } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';

export const DIST = resolve(import.meta.dirname, '../../dist');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  first: string;
  /** label -> raw perfdata value field ("14;10;20;0") */
  perf: Record<string, string>;
  ms: number;
}

export function parsePerf(first: string): Record<string, string> {
  const bar = first.indexOf(' | ');
  const perf: Record<string, string> = {};
  if (bar === -1) return perf;
  const re = /('(?:[^']|'')+'|[^\s=']+)=(\S+)/g;
  for (const m of first.slice(bar + 3).matchAll(re)) {
    const label = m[1]!.startsWith("'") ? m[1]!.slice(1, -1).replace(/''/g, "'") : m[1]!;
    perf[label] = m[2]!;
  }
  return perf;
}

/** The run ended within -t + 1 s; process start-up on a loaded CI machine is allowed on top. */
export const STARTUP_MS = 2000;
export const inTime = (r: Run, t: number) => expect(r.ms).toBeLessThan((t + 1) * 1000 + STARTUP_MS);

/** Run a built executable (dist/<command>) as a user would, and take its output apart. */
export function runBuilt(
  command: string,
  args: string[],
  opts: SpawnOptions & { input?: string; keepStdinOpen?: boolean } = {},
): Promise<Run> {
  return runProcess(command.includes('/') ? command : `${DIST}/${command}`, args, opts);
}

export function runProcess(
  file: string,
  args: string[],
  opts: SpawnOptions & { input?: string; keepStdinOpen?: boolean } = {},
): Promise<Run> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(file, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else if (!opts.keepStdinOpen) child.stdin!.end();
    child.on('close', (code) => {
      child.stdin!.destroy();
      const first = stdout.split('\n')[0] ?? '';
      done({ code, stdout, stderr, first, perf: parsePerf(first), ms: Date.now() - started });
    });
  });
}
