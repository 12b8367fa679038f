import { chmodSync, writeFileSync } from 'node:fs';
import { runProcess } from './run.ts';
import { until } from './wait.ts';

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

/**
 * Until nrpe on `port` answers check_nrpe's version query. A daemon just started on a loaded
 * machine may take a while to listen: the bound is generous, and the error says what was awaited.
 */
export async function waitForNrpe(port: number, timeoutMs = 60_000): Promise<void> {
  let last = 'no answer yet';
  await until(
    () => `nrpe on 127.0.0.1:${port} to answer check_nrpe's version query (last: ${last})`,
    async () => {
      const probe = await runProcess(CHECK_NRPE, ['-H', '127.0.0.1', '-p', String(port), '-t', '5']);
      last = `exit ${probe.code}, ${probe.first || probe.stderr.trim() || 'nothing printed'}`;
      return probe.code === 0 ? true : undefined;
    },
    { timeoutMs },
  );
}
