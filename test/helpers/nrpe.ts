import { chmodSync, writeFileSync } from 'node:fs';
import { runProcess } from './run.ts';

export const NRPE = '/usr/sbin/nrpe';
export const CHECK_NRPE = '/usr/lib/nagios/plugins/check_nrpe';

/**
 * An nrpe.cfg for a test daemon on 127.0.0.1:`port`, readable by nagios (nrpe runs as nagios):
 * fixed arguments only, its pid file in `runDir`, then the test's own `lines` (include=, ...).
 */
export function writeNrpeConfig(file: string, port: number, runDir: string, lines: string[]): void {
  const base = [`server_port=${port}`, 'server_address=127.0.0.1', 'allowed_hosts=127.0.0.1', `pid_file=${runDir}/nrpe.pid`];
  writeFileSync(file, [...base, 'dont_blame_nrpe=0', 'command_timeout=60', ...lines, ''].join('\n'));
  chmodSync(file, 0o644);
}

/** Until nrpe on `port` answers check_nrpe's version query; throws if it never does (10 s). */
export async function waitForNrpe(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const probe = await runProcess(CHECK_NRPE, ['-H', '127.0.0.1', '-p', String(port), '-t', '5']);
    if (probe.code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nrpe on port ${port} did not answer`);
}
