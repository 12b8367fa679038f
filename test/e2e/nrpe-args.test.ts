// The commented $ARGn$ variant of nrpe/microk8s-checks.cfg, tried as its comment tells an admin:
// uncommented, with dont_blame_nrpe=1, in the real nrpe, polled by check_nrpe -a.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECK_NRPE, NRPE, waitForNrpe, writeNrpeConfig } from '../helpers/nrpe.ts';
import { DIST, runProcess } from '../helpers/run.ts';
import { freePort } from '../helpers/sshd.ts';
import { nagiosIds } from '../helpers/users.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CFG = readFileSync(join(ROOT, 'nrpe/microk8s-checks.cfg'), 'utf8');
/** The comment block above the commented variant, without its '#'s. */
const variantComment = () => {
  const lines = CFG.split('\n');
  const first = lines.findIndex((l) => /^#command\[/.test(l));
  let start = first;
  while (start > 0 && lines[start - 1]!.startsWith('#') && !/^#command\[/.test(lines[start - 1]!)) start--;
  return lines
    .slice(start, first)
    .map((l) => l.replace(/^# ?/, ''))
    .join(' ');
};
const VARIANTS = [...CFG.matchAll(/^#command\[([^\]]+)\]=(.*)$/gm)].map((m) => ({ name: m[1]!, line: m[2]! }));

const ids = nagiosIds();
const unavailable = !ids
  ? 'needs root and the nagios user'
  : !existsSync(NRPE) || !existsSync(CHECK_NRPE)
    ? 'needs nrpe and check_nrpe'
    : '';
if (unavailable) console.warn(`NRPE argument tests: ${unavailable}`);

describe.skipIf(unavailable)('the $ARGn$ variant of nrpe/microk8s-checks.cfg, in the real nrpe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-nrpe-args-'));
  let daemon: ChildProcess | undefined;
  afterAll(() => {
    daemon?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what this nrpe does with it: with arguments built in, it runs; without (Debian, Ubuntu), every poll fails', async () => {
    expect(VARIANTS.map((v) => v.name)).toContain('check_microk8s_stale_jobs_args');
    // An nrpe built with --enable-command-args says so in its usage (a security warning).
    const usage = spawnSync(NRPE, ['--help'], { encoding: 'utf8' });
    const builtWithArguments = /COMMAND ARGUMENTS ARE SUPPORTED/.test(`${usage.stdout}${usage.stderr}`);
    chmodSync(dir, 0o755);
    chownSync(dir, ids!.uid, ids!.gid);
    writeFileSync(
      join(dir, 'commands.cfg'),
      VARIANTS.map((v) => `command[${v.name}]=${v.line.replaceAll('/usr/local/lib/nagios/plugins/', `${DIST}/`)}\n`).join(''),
    );
    chmodSync(join(dir, 'commands.cfg'), 0o644);
    const port = await freePort();
    writeNrpeConfig(join(dir, 'nrpe.cfg'), port, dir, [
      'dont_blame_nrpe=1',
      'debug=1',
      `log_file=${dir}/nrpe.log`,
      `include=${dir}/commands.cfg`,
    ]);
    daemon = spawn(NRPE, ['-c', join(dir, 'nrpe.cfg'), '-f'], { uid: ids!.uid, gid: ids!.gid, stdio: 'ignore' });
    await waitForNrpe(port);
    const r = await runProcess(CHECK_NRPE, [
      '-H',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      '30',
      '-c',
      'check_microk8s_stale_jobs_args',
      '-a',
      '50',
      '200',
    ]);
    const comment = variantComment();
    if (builtWithArguments) {
      expect(r.first).toMatch(/^STALE-JOBS /);
    } else {
      // What the admin sees, and why: the comment must say both, or dont_blame_nrpe=1 looks like the fix.
      expect(r.code).toBe(3);
      expect(r.first).toMatch(/^CHECK_NRPE: Receive header underflow/);
      expect(readFileSync(join(dir, 'nrpe.log'), 'utf8')).toContain('Error: Request contained command arguments!');
      expect(comment).toContain('CHECK_NRPE: Receive header underflow');
      expect(comment).toContain('Request contained command arguments!');
      expect(comment).toMatch(/built without argument support/);
    }
  }, 90_000);

  it('names exactly the characters nrpe refuses in an argument (its default nasty_metachars), no more', () => {
    // The default is compiled into nrpe: the one string that starts with these characters.
    const binary = readFileSync(NRPE).toString('latin1');
    const compiled = /\|`&><'[^\0]*/.exec(binary)?.[0];
    expect(compiled, 'nrpe default nasty_metachars').toBeDefined();
    const listed = /refuses an argument holding one of (\S+) or a new line/.exec(variantComment())?.[1];
    expect(listed, variantComment()).toBeDefined();
    // The compiled string ends with \r\n, which the comment calls a new line.
    expect([...listed!].sort()).toEqual([...compiled!.replace(/[\r\n]/g, '')].sort());
  });
});
