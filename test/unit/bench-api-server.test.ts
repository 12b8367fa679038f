// The benchmarks wait for the test API server's first line (bench/api-server.mjs). A server that
// died before it (a syntax Node's type stripping refuses, a port taken) left the bench waiting for
// good, its dqlite cluster running, and nothing said.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { firstLine } from '../../bench/api-server.mjs';

describe('the benchmarks start the test API server', () => {
  it('a server that exits before its first line fails the bench with its exit, never leaves it waiting', async () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await expect(firstLine(child)).rejects.toThrow('the test API server exited (code 1) before it said where it listens');
  }, 10_000);

  it('its first line is the URL and kubeconfig it prints', async () => {
    const line = JSON.stringify({ url: 'https://127.0.0.1:1', kubeconfig: '/k' });
    const child = spawn(process.execPath, ['-e', `console.log(${JSON.stringify(line)})`], { stdio: ['ignore', 'pipe', 'ignore'] });
    expect(await firstLine(child)).toEqual({ url: 'https://127.0.0.1:1', kubeconfig: '/k' });
  });
});
