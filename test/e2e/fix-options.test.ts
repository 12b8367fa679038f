// A fix said by code several checks share names only an option of the check that says it, and
// one that does what the fix says there: `check_restart_preflight --since` was 'Unknown argument'
// (d19a5e7). Each test runs the built checks as a user would and reads the first line.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lease, node, nodeLease } from '../apiserver/objects.ts';
import { useCluster } from '../helpers/cluster.ts';
import { at, klog } from '../helpers/fixtures.ts';
import { haveJournalRemote, KUBELITE, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';
import { healthyNode, type HealthyNode } from '../helpers/standins.ts';
import { sshdUnavailable, TestSshd } from '../helpers/sshd.ts';

const overSsh = sshdUnavailable() ?? (haveJournalRemote ? undefined : 'no systemd-journal-remote');
if (overSsh) console.warn(`fix-options SSH tests: ${overSsh}`);

describe.skipIf(overSsh)('a node read over SSH', () => {
  const cluster = useCluster();
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-fixopt-'));
  const sshd = new TestSshd();
  let here: HealthyNode;
  let known: string;
  beforeAll(async () => {
    here = await healthyNode();
    await sshd.start();
    known = sshd.knownHosts(['127.0.0.1']);
  });
  afterAll(() => {
    sshd.stop();
    here.close();
  });
  const ssh = () => ['--host', '127.0.0.1', '--ssh-port', String(sshd.port), '--ssh-key', sshd.clientKey, '--ssh-known-hosts', known];

  it("no lock files at --snap-data there: the gate's fix names --snap-data, not its --unit (which adds journal units)", async () => {
    const c = cluster();
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    const journal = makeJournal(
      [
        { age: 1500, service: KUBELITE, message: 'Starting kubelite' },
        { age: 30, service: KUBELITE, message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job"') },
      ],
      mkdtempSync(join(dir, 'j-')),
    );
    const nowhere = join(dir, 'no-snap-data');
    const gate = await runBuilt(
      'check_restart_preflight',
      [
        ...['--kubeconfig', c.kubeconfig, '--node', 'k8s02', ...ssh(), '--journal-file', journal, '-t', '30', ...here.dqliteArgs],
        ...['--snap-data', nowhere],
      ],
      { env: { ...process.env, PATH: here.path } },
    );
    expect(gate.code, gate.stdout).toBe(2);
    expect(gate.first).toMatch(
      new RegExp(
        `^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: 127\\.0\\.0\\.1: cannot tell whether k8s-dqlite is crash-looping ` +
          `\\(cannot list ${nowhere}/var/lock: .*\\(fix: run the check against a MicroK8s node, or give --snap-data\\)\\)`,
      ),
    );
    // Its --unit adds journal units; k8s-dqlite is asked of systemd whatever it names.
    expect(gate.first).not.toMatch(/--unit/);
    // check_services names the units it asks with --unit: there the fix offers it.
    const services = await runBuilt('check_services', [...ssh(), '--snap-data', nowhere, '--state-file', join(dir, 's.json')]);
    expect(services.first).toMatch(
      /\(fix: run the check against a MicroK8s node, or give --snap-data \(or --unit to name the units yourself\)\)/,
    );
  });
});
