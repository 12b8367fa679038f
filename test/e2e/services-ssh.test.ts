// check_services --host against a real sshd whose login prints a greeting before each command's
// output (a .bashrc echo, a ForceCommand wrapper), the node's systemctl the stand-in
// (test/helpers/standins.ts: systemd cannot run here).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuilt } from '../helpers/run.ts';
import { systemctlStandIn, unit } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const unavailable = sshdUnavailable();
if (unavailable) console.warn(`check_services --host tests: ${unavailable}`);

const daemon = (name: string) => `snap.microk8s.daemon-${name}.service`;
const UNITS = ['k8s-dqlite', 'kubelite', 'containerd', 'cluster-agent', 'apiserver-kicker'].map(daemon);

describe.skipIf(unavailable)('check_services --host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-services-ssh-'));
  const stand = systemctlStandIn([], 'asked', join(dir, 'bin'));
  const snapData = join(dir, 'snap-data');
  mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  const login = join(dir, 'login');
  writeFileSync(
    login,
    `#!/bin/sh\nPATH='${stand.dir}':$PATH; export PATH\necho 'Welcome to node1'\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
    { mode: 0o755 },
  );
  const sshd = new TestSshd({ forceCommand: login });
  let known: string;
  beforeAll(async () => {
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => sshd.stop());
  const check = () =>
    runBuilt('check_services', [
      '--host',
      '127.0.0.1',
      '--ssh-port',
      String(sshd.port),
      '--ssh-key',
      sshd.clientKey,
      '--ssh-known-hosts',
      known,
      '--snap-data',
      snapData,
      '--state-file',
      join(mkdtempSync(join(dir, 'state-')), 'services.json'),
      '-t',
      '30',
    ]);

  it("a login's greeting before what the commands print is read past, as the journal checks do", async () => {
    stand.set(UNITS.map((id) => unit(id, { upFor: 600 })));
    const r = await check();
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^SERVICES OK - 127\.0\.0\.1: 5 units active, first sample \(restarts per hour from the next run\) \| /);
    expect(Number.parseFloat(r.perf.uptime_kubelite!)).toBeGreaterThanOrEqual(599);
  });
});
