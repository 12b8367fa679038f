// An OK you can trust: every way a source can fail or lie ends in the right state, or in UNKNOWN
// (NO-GO for the gate) with its reason, within -t, leaving no process and printing no secret.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../apiserver/certs.ts';
import { deployment, job, lease, node, nodeLease } from '../apiserver/objects.ts';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { at, klog, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { CONTAINERD, DQLITE, haveJournalRemote, K8S01, K8S03, KUBELITE, makeJournal, on, type Entry } from '../helpers/journal.ts';
import { DIST, inTime, runBuilt, runProcess } from '../helpers/run.ts';
import { healthyNode, type HealthyNode, showBlock, unit, utcStamp } from '../helpers/standins.ts';
import { pattern } from '../helpers/pattern.ts';
import { until } from '../helpers/wait.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const kc = () => ['--kubeconfig', c.kubeconfig];
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-trust-'));

const healthy = () => addHealthyCluster(c.api);

const storm = (): Entry[] =>
  Array.from({ length: 60 }, (_, i) => ({ age: 10 + i * 4, service: DQLITE, message: logrus(at(10 + i * 4), 'error', LOCK_TXN) }));
const quiet = (): Entry[] => [
  {
    age: 30,
    service: KUBELITE,
    message: klog(at(30), 'I', KUBELITE.pid, 'job_controller.go:562', '"enqueueing job" key="ops/backup-29361840"'),
  },
];
const journalDir = (entries: Entry[], options: { tail?: boolean } = {}) => {
  const dir = scratch();
  makeJournal(entries, dir, options);
  return dir;
};

/** Processes whose command line holds this text, other than the pgrep itself. */
function running(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe.skipIf(!haveJournalRemote)('journals as given', () => {
  it('reads every --journal-dir, and --journal-dir with --journal-file: a storm in one of them is not OK', async () => {
    const stormy = journalDir(storm());
    const calm = journalDir(quiet());
    const both = await runBuilt('check_dqlite_lock', ['--journal-dir', stormy, '--journal-dir', calm]);
    expect(both.code).toBe(2);
    expect(both.first).toMatch(/^DQLITE-LOCK CRITICAL - 60 'database is locked' lines in the last 5m .*\| locked=60;5;50;0/);
    const reversed = await runBuilt('check_dqlite_lock', ['--journal-dir', calm, '--journal-dir', stormy]);
    expect(reversed.perf.locked).toBe('60;5;50;0');
    const mixed = await runBuilt('check_dqlite_lock', ['--journal-dir', calm, '--journal-file', join(stormy, 'system.journal')]);
    expect(mixed.code).toBe(2);
    expect(mixed.perf.locked).toBe('60;5;50;0');
  });

  it('a journal file whose data is damaged is UNKNOWN saying so; one that ends before the window says that', async () => {
    const dir = journalDir(storm());
    const file = join(dir, 'system.journal');
    // Overwrite the data objects (where the MESSAGE= fields are), leaving the header intact.
    const data = readFileSync(file);
    const first = data.indexOf('MESSAGE=');
    const last = data.lastIndexOf('MESSAGE=');
    data.fill(0xab, first - 64, last + 400);
    writeFileSync(file, data);
    const damaged = await runBuilt('check_dqlite_lock', ['--journal-file', file]);
    expect(damaged.code).toBe(3);
    expect(damaged.first).toMatch(
      pattern(
        /^DQLITE-LOCK UNKNOWN - journal .*system\.journal is damaged: it records entries up /,
        /to \S+, but none in the window can be read \(fix: see journalctl --verify --file=/,
      ),
    );
    // A copy, written no more: it ends before the window.
    const old = join(
      journalDir([{ age: 3600, service: DQLITE, message: logrus(at(3600), 'error', LOCK_TXN) }], { tail: false }),
      'system.journal',
    );
    const stale = await runBuilt('check_dqlite_lock', ['--journal-file', old]);
    expect(stale.code).toBe(3);
    expect(stale.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - journal \S+ holds no entry in the window \(its newest is from \S+\): nothing to judge/,
    );
    // A quiet window of a journal that does cover it stays OK.
    const calm = await runBuilt('check_dqlite_lock', ['--journal-file', join(journalDir(quiet()), 'system.journal')]);
    expect(calm.code).toBe(0);
  });

  it("a message with a byte journalctl will not print (a control character) is read, never '[24B blob data]'", async () => {
    // journalctl prints such a message as "[NB blob data]" unless told --all: its --grep matched
    // it, and the check, which matches each line exactly, counted nothing.
    const odd = (i: number) => LOCK_TXN.replace('/registry/', i % 2 ? '/registry/\x7f' : '/registry/\u0085');
    const dir = journalDir(
      Array.from({ length: 60 }, (_, i) => ({ age: 10 + i * 4, service: DQLITE, message: logrus(at(10 + i * 4), 'error', odd(i)) })),
    );
    const r = await runBuilt('check_dqlite_lock', ['--journal-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.perf.locked).toBe('60;5;50;0');
    expect(r.stdout).not.toContain('blob data');
  });

  it('an unreadable journal path is said to be unreadable, not missing', async () => {
    if (process.getuid?.() === 0) {
      // root reads everything: check as nobody.
      const dir = journalDir(quiet());
      chmodSync(dir, 0o700);
      const r = await runBuilt('check_dqlite_lock', ['--journal-file', join(dir, 'system.journal')], { uid: 65534, gid: 65534 });
      expect(r.code).toBe(3);
      // The directory denies it, not the journal's group: the fix is access to that directory.
      expect(r.first).toBe(
        `DQLITE-LOCK UNKNOWN - cannot read the journal: ${dir}/system.journal: permission denied for user nobody: ` +
          `${dir} (root:root 0700) cannot be searched (fix: give user nobody search access to ${dir}: ` +
          `sudo setfacl -m u:nobody:x ${dir})`,
      );
      // A uid the passwd database has no name for (a container's): the command the fix gives
      // must still run, so it names the uid as setfacl takes it, not as 'uid 54321'.
      const anon = await runBuilt('check_dqlite_lock', ['--journal-file', join(dir, 'system.journal')], { uid: 54321, gid: 54321 });
      expect(anon.first).toBe(
        `DQLITE-LOCK UNKNOWN - cannot read the journal: ${dir}/system.journal: permission denied for user uid 54321: ` +
          `${dir} (root:root 0700) cannot be searched (fix: give user uid 54321 search access to ${dir}: ` +
          `sudo setfacl -m u:54321:x ${dir})`,
      );
      // Nor does usermod take it ("user '54321' does not exist"): where a group would let it in,
      // the fix is still the ACL on that one directory.
      chownSync(dir, 0, 65534);
      chmodSync(dir, 0o750);
      const group = execFileSync('getent', ['group', '65534'], { encoding: 'utf8' }).split(':')[0];
      const grouped = await runBuilt('check_dqlite_lock', ['--journal-file', join(dir, 'system.journal')], { uid: 54321, gid: 54321 });
      expect(grouped.first).toBe(
        `DQLITE-LOCK UNKNOWN - cannot read the journal: ${dir}/system.journal: permission denied for user uid 54321: ` +
          `${dir} (root:${group} 0750) cannot be searched (fix: give user uid 54321 search access to ${dir}: ` +
          `sudo setfacl -m u:54321:x ${dir})`,
      );
    }
  });
});

describe('lines as they come', () => {
  // journalctl's short format (syslog stamp, local time): "Nov 28 02:10:39".
  const stamp = (d: Date) => `${d.toString().slice(4, 10)} ${d.toTimeString().slice(0, 8)}`;

  it('a match at the end of a 50 MB line is counted, and the output says the line was cut', async () => {
    const file = join(scratch(), 'long.log');
    const head = `${stamp(at(30))} k8s02 microk8s.daemon-k8s-dqlite[739]: time="x" level=error msg="error in txn: `;
    writeFileSync(file, `${head + 'x'.repeat(50 * 1024 * 1024)} exec (try: 500): database is locked"\n`);
    const r = await runBuilt('check_dqlite_lock', ['--log-file', file]);
    expect(r.code).toBe(0);
    expect(r.perf.locked).toBe('1;5;50;0');
    expect(r.stdout).toMatch(/^by source: microk8s\.daemon-k8s-dqlite 1$/m);
    expect(r.stdout).toMatch(/^1 line longer than 64 KiB was read by its first and last 32 KiB only$/m);
  });

  it('CR-only line ends are line ends', async () => {
    const file = join(scratch(), 'cr.log');
    writeFileSync(
      file,
      Array.from({ length: 10 }, (_, i) => `${stamp(at(20 + i))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${LOCK_TXN}\r`).join(''),
    );
    const r = await runBuilt('check_dqlite_lock', ['--log-file', file]);
    expect(r.perf.locked).toBe('10;5;50;0');
    expect(r.code).toBe(1);
  });
});

describe('API answers that are not what was asked for', () => {
  const body =
    (text: string, type = 'application/json') =>
    (_req: unknown, res: import('node:http').ServerResponse, url: URL) => {
      if (!/\/(jobs|deployments|pods)$/.test(url.pathname)) return false;
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    };

  it('a 200 that is not a list is UNKNOWN naming the server, for every list check; items: null is an empty list', async () => {
    healthy();
    for (const [text, type, shape] of [
      ['"hello"', 'application/json', 'a JSON string'],
      ['[1,2,3]', 'application/json', 'a JSON array'],
      ['{}', 'application/json', 'a JSON object that is not a list'],
      ['<html><body>Sign in</body></html>', 'text/html', 'not JSON'],
    ] as const) {
      c.api.intercept = body(text, type);
      for (const [command, name] of [
        ['check_stale_jobs', 'STALE-JOBS'],
        ['check_observed_generation', 'OBSERVED-GENERATION'],
        ['check_scheduling', 'SCHEDULING'],
      ] as const) {
        const r = await runBuilt(command, kc());
        expect(r.code, `${command} on ${text}`).toBe(3);
        expect(r.first).toContain(`${name} UNKNOWN - API server ${c.api.url} answered list `);
        expect(r.first).toContain(`with ${shape} (${type}, `);
      }
    }
    c.api.intercept = body('{"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"1"},"items":null}');
    const empty = await runBuilt('check_stale_jobs', kc());
    expect(empty.code).toBe(0);
    expect(empty.perf.jobs).toBe('0;;;0');
  });

  it("a 2xx other than 200, a list of items that are no objects, JSON called another type: never OK, never 'internal error'", async () => {
    // client-node takes any 2xx for a success: a proxy's 203 with its HTML page was an empty list.
    const answer = (status: number, text: string, type: string) => (_req: unknown, res: import('node:http').ServerResponse, url: URL) => {
      if (!url.pathname.endsWith('/jobs')) return false;
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    };
    const empty = '{"kind":"JobList","apiVersion":"batch/v1","metadata":{},"items":[]}';
    for (const status of [201, 203, 204, 206]) {
      c.api.intercept = answer(status, status === 204 ? '' : status === 203 ? '<html>Sign in</html>' : empty, 'text/html');
      const r = await runBuilt('check_stale_jobs', kc());
      expect(r.first, `${status}`).toMatch(
        new RegExp(`^STALE-JOBS UNKNOWN - API server \\S+ answered ${status} to list jobs\\.batch at cluster scope, not 200 `),
      );
    }
    for (const items of ['[null]', '[1,2,3]']) {
      c.api.intercept = answer(200, `{"kind":"JobList","metadata":{},"items":${items}}`, 'application/json');
      const r = await runBuilt('check_stale_jobs', kc());
      expect(r.first, items).toMatch(
        /^STALE-JOBS UNKNOWN - API server \S+ answered list jobs\.batch at cluster scope with a list whose items are not all objects /,
      );
    }
    c.api.intercept = answer(200, empty, 'application/yaml');
    expect((await runBuilt('check_stale_jobs', kc())).first).toMatch(/^STALE-JOBS OK - 0 finished Jobs /);
  });

  it('a list of another kind than asked (one answer served for every path), or naming none: UNKNOWN, never an empty OK', async () => {
    healthy();
    const cases = [
      ['{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[]}', 'a NodeList, not a'],
      ['{"apiVersion":"v1","metadata":{},"items":[]}', 'an object naming no kind, not a'],
    ] as const;
    for (const [text, said] of cases) {
      c.api.intercept = body(text);
      for (const [command, name, kind] of [
        ['check_stale_jobs', 'STALE-JOBS', 'JobList'],
        // Its Deployments and its pods are asked side by side: either may answer first.
        ['check_observed_generation', 'OBSERVED-GENERATION', '(DeploymentList|PodList)'],
        ['check_scheduling', 'SCHEDULING', 'PodList'],
      ] as const) {
        const r = await runBuilt(command, kc());
        expect(r.code, `${command} on ${text}`).toBe(3);
        expect(r.first).toContain(`${name} UNKNOWN - API server ${c.api.url} answered list `);
        expect(r.first).toMatch(new RegExp(`with ${said} ${kind} \\(application/json, `));
      }
    }
  });

  it('a lease whose renewTime is not a time is UNKNOWN for that lease, never fresh', async () => {
    healthy();
    c.api.clear('leases');
    const bad = lease('kube-controller-manager', 'k8s01');
    bad.spec.renewTime = 'garbage';
    c.api.add('leases', bad, lease('kube-scheduler', 'k8s03'));
    const r = await runBuilt('check_leases', [...kc(), '--state-file', join(scratch(), 'leases.json')]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      /^LEASES UNKNOWN - .*kcm lease cannot be judged: lease kube-controller-manager spec\.renewTime is 'garbage', which is not a time/,
    );
    expect(r.perf.kcm_renew_age).toBe('U;;;0');
    expect(r.perf.renew_age).toBe('U;;;0');
  });

  it('an answer cut off mid-way is UNKNOWN saying so, with or without Content-Length: never "unreachable"', async () => {
    healthy();
    for (const length of [true, false]) {
      c.api.intercept = (_req, res, url) => {
        if (!url.pathname.endsWith('/jobs')) return false;
        const half = '{"kind":"JobList","apiVersion":"batch/v1","metadata":{},"items":[{"metadata":{"name":"x"';
        res.writeHead(200, { 'Content-Type': 'application/json', ...(length ? { 'Content-Length': 100_000 } : {}) });
        res.write(half);
        // The answer begun, then the connection ends: a proxy's idle timeout, a kubelite restart.
        setTimeout(() => res.socket?.destroy(), 50);
        return true;
      };
      const r = await runBuilt('check_stale_jobs', kc());
      expect(r.code, `Content-Length ${length}`).toBe(3);
      expect(r.first).toMatch(/^STALE-JOBS UNKNOWN - API server https:\/\/127\.0\.0\.1:\d+ cut off its answer to \/apis\/batch\/v1\/jobs /);
      expect(r.first).toMatch(/ after 8\d bytes \(fix: run the check again; if it repeats, check kubelite /);
    }
  });

  it('a connection closed without any answer (TLS accepted, the request read) is said so, not "unreachable"', async () => {
    healthy();
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/jobs')) return false;
      // A proxy or an API server going down that took the request and dropped it, every time.
      res.socket?.destroy();
      return true;
    };
    const r = await runBuilt('check_stale_jobs', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^STALE-JOBS UNKNOWN - API server https:\/\/127\.0\.0\.1:\d+ closed the connection without answering /);
    expect(r.first).toMatch(/ without answering the request to list jobs\.batch /);
  });

  it('an answer that never ends stops at the size bound; a repeated continue token stops the list', async () => {
    let sent = 0;
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/jobs')) return false;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      res.write('{"kind":"JobList","items":[');
      // Bounded: at most 200 MiB, far past the client's limit, then the server stops by itself.
      const more = () => {
        while (sent < 200 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return true;
    };
    const big = await runBuilt('check_stale_jobs', [...kc(), '-t', '20']);
    expect(big.code).toBe(3);
    expect(big.first).toMatch(/^STALE-JOBS UNKNOWN - API server \S+ sent more than 64 MiB for \/apis\/batch\/v1\/jobs: stopped reading/);
    expect(sent).toBeLessThan(200);

    const token = Buffer.from('{"v":"meta.k8s.io/v1","rv":1001,"start":"ci/x\\u0000"}').toString('base64');
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/jobs')) return false;
      const text = JSON.stringify({
        kind: 'JobList',
        apiVersion: 'batch/v1',
        metadata: { resourceVersion: '1001', continue: token },
        items: [job({ namespace: 'ci', name: 'x', state: 'running' })],
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    };
    c.api.requests.length = 0;
    const loop = await runBuilt('check_stale_jobs', kc());
    expect(loop.code).toBe(3);
    expect(loop.first).toMatch(
      /^STALE-JOBS UNKNOWN - API server \S+ repeated a continue token while listing jobs \(page 2\): the list would never end/,
    );
    expect(c.api.requests.filter((q) => q.path.endsWith('/jobs')).length).toBe(2);

    // A page that says more items remain but gives no token to ask for them (kube-apiserver sets
    // remainingItemCount only beside a continue token): the list is cut short, never judged whole.
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/jobs')) return false;
      const text = JSON.stringify({
        kind: 'JobList',
        apiVersion: 'batch/v1',
        metadata: { resourceVersion: '1001', remainingItemCount: 700 },
        items: [job({ namespace: 'ci', name: 'x', state: 'running' })],
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    };
    const cut = await runBuilt('check_stale_jobs', kc());
    expect(cut.code).toBe(3);
    expect(cut.first).toMatch(
      /^STALE-JOBS UNKNOWN - API server \S+ said 700 more jobs remain but gave no continue token \(page 1\): the list is cut short/,
    );
  });
});

describe('check_restart_preflight is a gate', () => {
  // A healthy MicroK8s node (systemd and dqlite stand-ins; its dqlite voter on 127.0.0.1, k8s01's IP).
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());
  const preflight = (args: string[], path = here.path) =>
    runBuilt('check_restart_preflight', [...args, ...here.dqliteArgs], { env: { ...process.env, PATH: path } });
  /** The two nodes, and the Lease each one's kubelet renews in kube-node-lease. */
  const nodesHere = () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
  };

  it('NO-GO when nobody leads kube-controller-manager or kube-scheduler', async () => {
    nodesHere();
    c.api.add(
      'leases',
      lease('kube-controller-manager', 'k8s01', { renewedAgo: 600 }),
      lease('kube-scheduler', 'k8s01', { renewedAgo: 600 }),
    );
    const log = join(scratch(), 'quiet.log');
    writeFileSync(log, 'Nov 28 00:00:00 k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n');
    const r = await preflight([...kc(), '--node', 'k8s02', '--log-file', log]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      pattern(
        /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: no kube-controller-manager is /,
        /leading \(lease renewed 10m\d*s? ago, duration 60s\) \(\+1 more\) \| blockers=2;;0;0/,
      ),
    );
    expect(r.stdout).toMatch(/^no kube-scheduler is leading/m);
    // A lease its leader let go as client-go writes it (no holder, 1 s), polled seconds later: nobody leads either.
    c.api.clear('leases');
    c.api.add('leases', lease('kube-controller-manager', undefined), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
    const released = await preflight([...kc(), '--node', 'k8s02', '--log-file', log]);
    expect([released.code, released.first]).toEqual([
      2,
      expect.stringMatching(
        /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: no kube-controller-manager is leading \(lease released: no holder\)/,
      ),
    ]);
  });

  it.skipIf(!haveJournalRemote)(
    'NO-GO (CRITICAL), not UNKNOWN, when it cannot read a journal or reach the API server; a bad option stays UNKNOWN',
    async () => {
      nodesHere();
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s02'));
      const missing = await preflight([...kc(), '--node', 'k8s02', '--journal-file', '/nonexistent/system.journal']);
      expect(missing.code).toBe(2);
      expect(missing.first).toBe(
        'RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: cannot ' +
          'read the journal: /nonexistent/system.journal does not exist (fix: check ' +
          '--journal-dir/--journal-file)',
      );
      const dir = journalDir(quiet());
      c.api.delayMs = 5000;
      const slow = await preflight([...kc(), '--node', 'k8s02', '--journal-dir', dir, '-t', '1']);
      expect(slow.code).toBe(2);
      expect(slow.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: timed out after 1s/);
      c.api.delayMs = 0;
      const usage = await preflight([...kc(), '--node', 'k8s02', '-c', 'x']);
      expect(usage.code).toBe(3);
      // Every journal dir given is read: a storm in the second one is a blocker.
      const both = await preflight([...kc(), '--node', 'k8s02', '--journal-dir', dir, '--journal-dir', journalDir(storm())]);
      expect(both.code).toBe(2);
      expect(both.first).toMatch(/NO-GO for k8s02: dqlite-lock CRITICAL: 60 'database is locked' lines/);
    },
  );

  it.skipIf(!haveJournalRemote)(
    'a journal given that ends inside the window (a copy) is NO-GO: a kubelite start or a storm after its end could not be seen',
    async () => {
      nodesHere();
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
      // Copied 4 minutes ago: the last 4 of the gate's 10 minutes are not in it.
      const copy = makeJournal(
        quiet().map((e) => ({ ...e, age: 240 })),
        scratch(),
        { tail: false },
      );
      const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', copy]);
      expect(r.code).toBe(2);
      expect(r.first).toMatch(
        pattern(
          /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: journal \S+ ends at \S+Z, 4m ago: /,
          /the last 4m of the 10m window are not in it \(fix: check that the node still sends its journal, or give its live journal\)/,
        ),
      );
      // Its newest entry 30 s old: live, and judged (no word of where it ends).
      const live = await preflight([...kc(), '--node', 'k8s02', '--journal-file', makeJournal(quiet(), scratch(), { tail: false })]);
      expect(live.first).not.toMatch(/ ends at /);
    },
  );

  it.skipIf(!haveJournalRemote)(
    'a journal that begins inside the window (--settle) is NO-GO: a kubelite start before its first entry could not be seen',
    async () => {
      nodesHere();
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
      // The active file just after a rotation, or a small volatile journal a log storm rotated: its
      // first entry 30 s ago, where the gate must know there was no kubelite start for 10 minutes.
      const begun = makeJournal(quiet(), scratch(), { anchor: false });
      const r = await preflight([...kc(), '--node', 'k8s02', '--journal-file', begun]);
      expect(r.code).toBe(2);
      expect(r.first).toMatch(
        /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: \S+ holds no entry from before /,
      );
      expect(r.first).toMatch(/: it does not reach back over the window, and what happened before its first entry cannot be told /);
      // Every file of a volatile journal given, a dozen of journald's long names: the reason within the
      // summary's 1024 characters (it was cut inside the list of names, before "holds no entry").
      const machine = scratch();
      const files = Array.from({ length: 12 }, (_, i) => {
        const file = join(machine, `system@0123456789abcdef0123456789abcdef-${String(i).padStart(16, '0')}-0006${i}abcdef01234.journal`);
        copyFileSync(makeJournal(quiet(), scratch(), { anchor: false }), file);
        return file;
      });
      const many = await preflight([...kc(), '--node', 'k8s02', ...files.flatMap((f) => ['--journal-file', f])]);
      expect(many.code).toBe(2);
      expect(many.first).toMatch(
        pattern(
          /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: the journal of the 12 files given /,
          /holds no entry from before \S+: it does not reach back over the window/,
        ),
      );
      // The same entries in a journal that reaches back (journald's start hours before): judged, GO.
      const whole = makeJournal(quiet(), scratch());
      const go = await preflight([...kc(), '--node', 'k8s02', '--journal-file', whole]);
      expect(go.first).toMatch(/^RESTART-PREFLIGHT (OK - GO|WARNING - GO with care)/);
    },
  );

  it.skipIf(!haveJournalRemote)(
    "a central log host's directory where one machine's entries begin inside the window is NO-GO, that machine named",
    async () => {
      nodesHere();
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
      // k8s01's entries reach back 20 minutes; k8s03 began sending 2 minutes ago: a kubelite start of
      // k8s03's before then was never seen. Any machine's entry before the window made it read as whole: GO.
      // A directory as journal-remote writes it: k8s01's files, and those of `late`, begun 2 minutes ago.
      const collected = (late: typeof K8S03) => {
        const dir = scratch();
        makeJournal(
          [{ ...quiet()[0]!, age: 1200 }, ...quiet()].map((e) => on(K8S01, e)),
          dir,
          { anchor: false, name: 'remote-k8s01.journal' },
        );
        makeJournal(
          [{ ...quiet()[0]!, age: 120 }, ...quiet()].map((e) => on(late, e)),
          dir,
          { anchor: false, name: 'remote-k8s03.journal' },
        );
        return dir;
      };
      const dir = collected(K8S03);
      const r = await preflight([...kc(), '--node', 'k8s02', '--journal-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.first).toMatch(
        new RegExp(
          '^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: ' +
            `the journal of k8s03 in ${dir} holds no entry from before \\S+: it does not reach back over the window`,
        ),
      );
      // Its entries reaching back too: judged, GO.
      makeJournal(
        [{ ...quiet()[0]!, age: 1200 }].map((e) => on(K8S03, e)),
        dir,
        { anchor: false, name: 'remote-k8s03@1.journal' },
      );
      const go = await preflight([...kc(), '--node', 'k8s02', '--journal-dir', dir]);
      expect(go.first).toMatch(/^RESTART-PREFLIGHT (OK - GO|WARNING - GO with care)/);
      // k8s03 cloned from k8s01's image, its machine id with it: told apart by host name, NO-GO (it said GO).
      const clones = collected({ id: K8S01.id, host: 'k8s03' });
      const cloned = await preflight([...kc(), '--node', 'k8s02', '--journal-dir', clones]);
      expect(cloned.code).toBe(2);
      expect(cloned.first).toMatch(
        new RegExp(`NO-GO: cannot establish that the cluster is healthy: the journal of k8s03 in ${clones} holds no `),
      );
    },
  );

  it.skipIf(!haveJournalRemote)(
    "--unit naming other units still judges kubelite's and k8s-dqlite's journal: a storm there is NO-GO, never GO unread",
    async () => {
      nodesHere();
      c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
      // A node's journal: kubelite and containerd log there too (a unit named that never logged is a typo, NO-GO of its own).
      const dir = journalDir([...storm(), ...quiet(), { age: 50, service: CONTAINERD, message: 'level=info msg="container started"' }]);
      for (const unit of ['snap.microk8s.daemon-containerd.service', 'snap.microk8s.daemon-kubelite.service']) {
        const r = await preflight([...kc(), '--node', 'k8s02', '--journal-dir', dir, '--unit', unit]);
        expect([r.code, r.first], unit).toEqual([
          2,
          expect.stringMatching(/NO-GO for k8s02: dqlite-lock CRITICAL: 60 'database is locked' lines/),
        ]);
      }
    },
  );
});

describe.skipIf(!haveJournalRemote)('check_restart_preflight and the datastore', () => {
  let here: HealthyNode;
  beforeAll(async () => {
    here = await healthyNode();
  });
  afterAll(() => here.close());
  const setUp = () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '127.0.0.1' }), node({ name: 'k8s02', ip: '10.0.0.12' }));
    c.api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s01'));
    c.api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'));
  };
  const journal = () => ['--journal-dir', journalDir(quiet())];

  /**
   * A systemctl whose `show` answers k8s-dqlite with `dqlite` (its block, printf's format) and kubelite
   * up an hour (the gate times its start), a block for each unit asked, an empty line between them.
   */
  const showing = (file: string, dqlite: string) =>
    writeFileSync(
      file,
      `#!/bin/sh\nnamed=; first=1\nfor a in "$@"; do\n  if [ -n "$named" ]; then\n    [ $first = 1 ] || echo; first=0\n` +
        `    case "$a" in *daemon-kubelite*) printf '%s\\n' '${showBlock(unit(KUBELITE.unit, { upFor: 3600 }))}' ;; ` +
        `*) printf '${dqlite}' ;; esac\n  fi\n  [ "$a" != "--" ] || named=1\ndone\n`,
      { mode: 0o755 },
    );

  it('GO on a healthy node; NO-GO while k8s-dqlite crash-loops, a voter is lost, or systemd and dqlite cannot be read', async () => {
    setUp();
    const go = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', ...journal(), ...here.dqliteArgs], {
      env: { ...process.env, PATH: here.path },
    });
    expect(go.code).toBe(0);
    // k8s-dqlite restarted 20 s ago, for the 3794th time.
    const loop = join(scratch(), 'systemctl');
    const started = Number(process.hrtime.bigint() / 1000n) - 20_000_000;
    const wall = utcStamp(Date.now() - 20_000);
    showing(
      loop,
      `Result=success\\nNRestarts=3794\\nExecMainStartTimestamp=${wall}\\n` +
        `ExecMainStartTimestampMonotonic=${started}\\nId=snap.microk8s.daemon-k8s-dqlite.service\\n` +
        `LoadState=loaded\\nActiveState=active\\nSubState=running\\n` +
        `StateChangeTimestamp=${wall}\\nStateChangeTimestampMonotonic=${started}\\n`,
    );
    const crash = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', ...journal(), ...here.dqliteArgs], {
      env: { ...process.env, PATH: `${join(loop, '..')}:${process.env.PATH}` },
    });
    expect(crash.code).toBe(2);
    expect(crash.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: services WARNING: k8s-dqlite restarted \d+s ago \(NRestarts 3794\): restarting now/,
    );
    // A second voter in cluster.yaml and the CLI's answer, where nothing listens: quorum lost.
    const backend = here.dqliteArgs[3]!;
    const store = readFileSync(join(backend, 'cluster.yaml'), 'utf8');
    const voter = /Address: (\S+)/.exec(store)![1]!;
    writeFileSync(join(backend, 'cluster.yaml'), `${store}- Address: 127.0.0.1:1\n  ID: 6780373466574862769\n  Role: 0\n`);
    const cli = join(scratch(), 'dqlite');
    writeFileSync(
      cli,
      `#!/bin/sh\nfor c; do :; done\ncase "$c" in\n.cluster) echo ` +
        `'2dc171858c3155be|${voter}|voter'; echo '5e1b6ddbb9d2b5b1|127.0.0.1:1|voter' ;;\n.leader) ` +
        `echo '${voter}' ;;\nesac\n`,
      { mode: 0o755 },
    );
    const lost = await runBuilt(
      'check_restart_preflight',
      [...kc(), '--node', 'k8s02', ...journal(), '--dqlite-bin', cli, '--backend-dir', backend],
      { env: { ...process.env, PATH: here.path } },
    );
    expect(lost.code).toBe(2);
    expect(lost.first).toMatch(/NO-GO for k8s02: dqlite CRITICAL: quorum lost: 1 of 2 voters reachable, 2 needed/);
    writeFileSync(join(backend, 'cluster.yaml'), store);
    // Not a MicroK8s node, no systemd: nothing established, so NO-GO.
    const bare = await runBuilt('check_restart_preflight', [
      ...kc(),
      '--node',
      'k8s02',
      ...journal(),
      '--dqlite-bin',
      '/nonexistent/dqlite',
      '--backend-dir',
      '/nonexistent/backend',
    ]);
    expect(bare.code).toBe(2);
    expect(bare.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: /);
  });

  it('NO-GO on a --log-file that cannot speak for the window: empty, last written before it (an old copy), or begun in it', async () => {
    setUp();
    const dir = scratch();
    // journalctl's short format (syslog stamp, local time).
    const stamp = (d: Date) => `${d.toString().slice(4, 10)} ${d.toTimeString().slice(0, 8)}`;
    const gate = (log: string) =>
      runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--log-file', log, ...here.dqliteArgs], {
        env: { ...process.env, PATH: here.path },
      });
    const fresh = join(dir, 'fresh.log');
    const line = (age: number) => `${stamp(at(age))} k8s02 microk8s.daemon-kubelite[1]: I1128 ok\n`;
    writeFileSync(fresh, line(1200) + line(30));
    expect((await gate(fresh)).first).toMatch(/^RESTART-PREFLIGHT OK - GO: /);
    // Its first line inside the window (logrotate just started it): a kubelite start before it
    // would go unseen, as before a journal's first entry.
    const rotated = join(dir, 'rotated.log');
    writeFileSync(rotated, line(30));
    const begun = await gate(rotated);
    expect([begun.code, begun.first]).toEqual([
      2,
      expect.stringMatching(
        pattern(
          /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: /,
          /log file \S+rotated\.log holds no line from before /,
        ),
      ),
    ]);
    // A pipe is taken as the command before it chose it: the same lines piped are judged.
    const piped = await runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', '--log-file', '-', ...here.dqliteArgs], {
      env: { ...process.env, PATH: here.path },
      input: line(30),
    });
    expect(piped.first).toMatch(/^RESTART-PREFLIGHT OK - GO: /);
    // Yesterday's storm, copied with its time (cp -p, scp -p): nothing in it is about the last 5 minutes.
    const old = join(dir, 'old.log');
    writeFileSync(old, `${stamp(at(86_400))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${LOCK_TXN}\n`);
    const yesterday = new Date(Date.now() - 86_400_000);
    utimesSync(old, yesterday, yesterday);
    const stale = await gate(old);
    expect(stale.code).toBe(2);
    expect(stale.first).toMatch(
      /^RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: log file \S+old\.log was last written /,
    );
    const alone = await runBuilt('check_dqlite_lock', ['--log-file', old]);
    expect(alone.code).toBe(3);
    expect(alone.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - .*log file \S+old\.log was last written \S+, before the window \(the last 5m\): nothing to judge/,
    );
    // A redirection whose command failed (ssh node journalctl ... > f) leaves an empty file, as a pipe brings nothing.
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect((await gate(empty)).code).toBe(2);
    const said = await runBuilt('check_dqlite_lock', ['--log-file', empty]);
    expect(said.code).toBe(3);
    expect(said.first).toMatch(/^DQLITE-LOCK UNKNOWN - .*log file \S+empty\.log is empty/);
  });

  // MicroK8s' lock files say which services a node runs (DOMAIN.md, "Service crash loops"): a
  // worker has no-k8s-dqlite and clustered.lock, and its k8s-dqlite wrapper exits 0 at once, so
  // systemd shows the unit inactive (dead) for good. That is no crash loop and no blocker there.
  it('on a worker, k8s-dqlite inactive by design is no blocker and is said; on a control plane it is NO-GO', async () => {
    setUp();
    const dir = scratch();
    const snapData = (...locks: string[]) => {
      const d = mkdtempSync(join(dir, 'snap-data-'));
      mkdirSync(join(d, 'var', 'lock'), { recursive: true });
      for (const l of locks) writeFileSync(join(d, 'var', 'lock', l), '');
      return d;
    };
    // systemctl show for a unit whose main process exited 0 and stays dead (the stand-in's format
    // as in services.test.ts: the properties in systemctl's own order, one block per unit).
    const started = Math.max(1, Number(process.hrtime.bigint() / 1000n) - 3600_000_000);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    showing(
      join(bin, 'systemctl'),
      `Result=success\\nNRestarts=0\\nExecMainStartTimestamp=\\nExecMainStartTimestampMonotonic=0\\n` +
        `Id=snap.microk8s.daemon-k8s-dqlite.service\\nLoadState=loaded\\nActiveState=inactive\\n` +
        `SubState=dead\\nStateChangeTimestamp=${utcStamp(Date.now() - 3600_000)}\\nStateChangeTimestampMonotonic=${started}\\n`,
    );
    const gate = (data: string) =>
      runBuilt('check_restart_preflight', [...kc(), '--node', 'k8s02', ...journal(), ...here.dqliteArgs, '--snap-data', data], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
    const worker = await gate(snapData('no-k8s-dqlite', 'clustered.lock'));
    expect(worker.first).toMatch(/^RESTART-PREFLIGHT OK - GO: kubelite on k8s02 may be restarted/);
    expect(worker.stdout).toContain('k8s-dqlite left out: no-k8s-dqlite: a worker, inactive by design');
    const control = await gate(snapData('clustered.lock'));
    expect(control.code).toBe(2);
    // Named as the other blockers are: the check whose rules judged it, and its state.
    expect(control.first).toMatch(/^RESTART-PREFLIGHT CRITICAL - NO-GO for k8s02: services CRITICAL: k8s-dqlite is inactive/);
  });
});

describe('files named on the command line', () => {
  it('/dev/zero or a FIFO as --kubeconfig, a FIFO as --log-file or --state-file: an answer within -t, and the process ends', async () => {
    healthy();
    const dir = scratch();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const args of [
      ['--kubeconfig', '/dev/zero'],
      ['--kubeconfig', fifo],
    ]) {
      const r = await runBuilt('check_nodes', [...args, '-t', '3']);
      expect(r.code).toBe(3);
      expect(r.first).toMatch(/^NODES UNKNOWN - cannot read kubeconfig \S+: it is a (device|pipe), not a file/);
      inTime(r, 3);
    }
    // A FIFO nobody writes to yet may still get a writer: it is waited for, up to -t.
    const log = await runBuilt('check_dqlite_lock', ['--log-file', fifo, '-t', '3']);
    expect(log.code).toBe(3);
    expect(log.first).toMatch(/^DQLITE-LOCK UNKNOWN - timed out after 3s while reading \S+fifo$/);
    inTime(log, 3);
    // A writer that comes and goes without a line: nothing read, never an OK.
    const writer = spawn('/bin/sh', ['-c', 'sleep 0.3; : > "$0"', fifo]);
    const empty = await runBuilt('check_dqlite_lock', ['--log-file', fifo, '-t', '3']);
    writer.kill();
    expect(empty.code).toBe(3);
    expect(empty.first).toMatch(/^DQLITE-LOCK UNKNOWN - nothing was read from the pipe \S+fifo/);
    const state = join(dir, 'state-fifo');
    execFileSync('mkfifo', [state]);
    const leases = await runBuilt('check_leases', [...kc(), '--state-file', state, '-t', '3']);
    // Read as no state and left as it is: churn is never judged, UNKNOWN (docs/checks/leases.md).
    expect(leases.code).toBe(3);
    expect(leases.first).toMatch(/leaseTransitions cannot be kept in \S+state-fifo \(it is a pipe, not a file: left as it is\)/);
  });

  // `--log-file - < F` reads the file F as `--log-file F` does: an old log redirected in holds
  // nothing about the window either, and read OK where the same file named was UNKNOWN.
  it('--log-file - with stdin redirected from a file last written before the window: UNKNOWN, as the file named', async () => {
    const old = join(scratch(), 'old.log');
    const stamp = (d: Date) => `${d.toString().slice(4, 10)} ${d.toTimeString().slice(0, 8)}`;
    writeFileSync(old, `${stamp(at(86_400))} k8s02 microk8s.daemon-k8s-dqlite[739]: ${LOCK_TXN}\n`);
    const yesterday = new Date(Date.now() - 86_400_000);
    utimesSync(old, yesterday, yesterday);
    const redirected = await runProcess('/bin/sh', ['-c', 'exec "$0" --log-file - < "$1"', `${DIST}/check_dqlite_lock`, old]);
    expect(redirected.code).toBe(3);
    expect(redirected.first).toMatch(
      /^DQLITE-LOCK UNKNOWN - stdin \(a file\) was last written \S+, before the window \(the last 5m\): nothing to judge/,
    );
    // Piped, it has no time of its own: lines older than the window make a quiet window, as ever.
    const piped = await runBuilt('check_dqlite_lock', ['--log-file', '-'], { input: readFileSync(old, 'utf8') });
    expect(piped.first).toMatch(/^DQLITE-LOCK OK - /);
  });

  it('a damaged state file is said, and the next run judges churn again', async () => {
    healthy();
    const state = join(scratch(), 'leases.json');
    writeFileSync(state, '{"kube-controller-manager": 1');
    const r = await runBuilt('check_leases', [...kc(), '--state-file', state]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/state file \S+leases\.json is damaged \(not what this check writes\): starting over/);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toEqual({
      'kube-controller-manager': { transitions: 12, uid: 'lease-kube-controller-manager' },
      'kube-scheduler': { transitions: 12, uid: 'lease-kube-scheduler' },
    });
  });

  it('-t beyond an hour is refused at once, as a usage error', async () => {
    const r = await runBuilt('check_nodes', [...kc(), '-t', '3000000']);
    expect(r.code).toBe(3);
    expect(r.first).toBe("NODES UNKNOWN - -t/--timeout must be a number of seconds above 0 and at most 3600, not '3000000'");
    const all = await runBuilt('microk8s-checks', ['all', ...kc(), '-t', '0']);
    expect(all.code).toBe(3);
    expect(all.first).toMatch(/^MICROK8S-CHECKS UNKNOWN - -t\/--timeout must be a number of seconds above 0 and at most 3600, not '0'/);
  });
});

describe('credential plugins', () => {
  const plugin = (dir: string, body: string) => {
    const file = join(dir, 'cred-plugin');
    writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return writeKubeconfig(dir, c.api.url, c.certs.ca, { exec: file }, 'kubeconfig-exec');
  };

  it('a failing plugin is named with its exit code; what it printed (a token, a key) never reaches the output', async () => {
    healthy();
    const secret = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldCJ9.c2VjcmV0';
    const config = plugin(scratch(), `echo "error: token ${secret} rejected" >&2\necho "-----BEGIN PRIVATE KEY-----" >&2\nexit 7`);
    const r = await runBuilt('check_nodes', ['--kubeconfig', config]);
    expect(r.code).toBe(3);
    expect(r.first).toBe(
      "NODES UNKNOWN - credential plugin 'cred-plugin' of kubeconfig user 'nagios' failed (exit " +
        '7) (fix: run the plugin by hand as the user running the check)',
    );
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout + r.stderr).not.toContain('PRIVATE KEY');
  });

  it('a plugin that hangs is stopped with the run, its own children too, by a check and by all', async () => {
    healthy();
    const marker = `${process.pid}${Date.now() % 100000}`;
    const config = plugin(scratch(), `sleep 4${marker}\n:`);
    // Its arguments may hold a secret: the timeout names the command's base name only.
    const secret = 'hunter2-arg';
    writeFileSync(config, readFileSync(config, 'utf8').replace(/(command: .*\n)/, `$1      args:\n      - --password=${secret}\n`));
    const r = await runBuilt('check_nodes', ['--kubeconfig', config, '-t', '2']);
    expect(r.code).toBe(3);
    // No request left: the run waited for the plugin, and says so, not "while listing nodes".
    expect(r.first).toBe(
      "NODES UNKNOWN - timed out after 2s while waiting for credential plugin 'cred-plugin' of kubeconfig user 'nagios', " +
        `before listing nodes from ${c.api.url}`,
    );
    const all = await runBuilt('microk8s-checks', ['all', '--kubeconfig', config, '-t', '2', '--format', 'json']);
    expect(all.code).toBe(3);
    const rows = JSON.parse(all.stdout) as { check: string; summary: string }[];
    for (const check of ['NODES', 'LEASES', 'STALE-JOBS'])
      expect(rows.find((x) => x.check === check)?.summary, check).toMatch(
        /^timed out after 2s while waiting for credential plugin 'cred-plugin' of kubeconfig user 'nagios', before /,
      );
    expect(r.stdout + r.stderr + all.stdout + all.stderr).not.toContain(secret);
    await new Promise((done) => setTimeout(done, 200));
    expect(running(`sleep 4${marker}`)).toEqual([]);
  });
});

describe('the end of a run', () => {
  it('SIGTERM to the launcher (a poller giving up) ends the check at once as UNKNOWN, with no process left', async () => {
    healthy();
    // The nodes asked for and never answered (a server that hangs), the request recorded as it came.
    c.api.intercept = (_req, _res, url) => url.pathname === '/api/v1/nodes';
    const dir = scratch();
    const config = join(dir, `kubeconfig-sigterm-${process.pid}`);
    writeFileSync(config, readFileSync(c.kubeconfig));
    const child = spawn(`${DIST}/check_nodes`, ['--kubeconfig', config, '-t', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    // Once it is listing nodes, not after a fixed 1.5 s: a start-up that slow (a loaded machine) had
    // the launcher stopped before the check began ('stopped by SIGTERM', no 'while').
    await until(
      () => 'the check to ask for the nodes',
      () => (c.api.requests.some((q) => q.path === '/api/v1/nodes') ? true : undefined),
      { timeoutMs: 20_000 },
    );
    const sent = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(code).toBe(3);
    expect(stdout).toMatch(/^NODES UNKNOWN - stopped by SIGTERM while /);
    expect(running(config)).toEqual([]);
  });

  it("started with stdin closed (a cron line's <&-), a check and all answer as ever, never exit 2 with no line", async () => {
    healthy();
    const closed = (command: string, ...args: string[]) => runProcess('sh', ['-c', '"$0" "$@" <&-', `${DIST}/${command}`, ...args]);
    const alone = await closed('check_nodes', '--kubeconfig', c.kubeconfig);
    expect(alone.stderr).toBe('');
    expect(alone.code).toBe(0);
    expect(alone.first).toMatch(/^NODES OK - /);
    const all = await closed('microk8s-checks', 'all', '--kubeconfig', c.kubeconfig, '--format', 'json');
    expect(all.stderr).toBe('');
    expect(JSON.parse(all.stdout).find((x: { check: string }) => x.check === 'NODES').state).toBe('OK');
  });

  it('all --format json through a slow pipe: more than 1 MB, whole and valid', async () => {
    const spec = Array.from({ length: 14_000 }, (_, i) =>
      deployment({
        namespace: `team-${i % 40}`,
        name: `api-gateway-worker-${String(i).padStart(5, '0')}`,
        generation: 5,
        observedGeneration: 4,
        specChangedAgo: 3600,
      }),
    );
    c.api.add('deployments', ...spec);
    healthy();
    const out = join(scratch(), 'all.json');
    // The reader starts late, as a loaded jq or ssh would: the writer must wait for it.
    const r = await runProcess('/bin/sh', [
      '-c',
      `"$0" all --kubeconfig "$1" --format json -t 60 | { sleep 1; cat > "$2"; }`,
      `${DIST}/microk8s-checks`,
      c.kubeconfig,
      out,
    ]);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const rows = JSON.parse(text) as { check: string; details: string[] }[];
    expect(rows.find((x) => x.check === 'OBSERVED-GENERATION')?.details.filter((d) => d.startsWith('lagging ')).length).toBe(14_000);
  });
});

describe('the state file', () => {
  it('a link planted at the temporary name is not followed: its target is untouched', async () => {
    const { writeState } = await import('../../lib/state-file.ts');
    const dir = scratch();
    mkdirSync(join(dir, 'state'));
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me');
    const file = join(dir, 'state', 'leases.json');
    execFileSync('ln', ['-s', target, `${file}.${process.pid}.tmp`]);
    writeState(file, { a: 1 });
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 1 });
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a run killed mid-write: the next run with that pid still keeps its counts (a pid namespace's pids repeat)",
    async () => {
      // Killed between its temporary file's open and its rename (NRPE's timeout, the OOM killer), a
      // run leaves F.<pid>.tmp. In a pid namespace (a container, unshare) every run gets the same pid:
      // its exclusive open failed with EEXIST, and every run after was UNKNOWN for good.
      healthy();
      const dir = scratch();
      const state = join(dir, 'pods.json');
      for (let pid = 1; pid <= 20; pid++) writeFileSync(`${state}.${pid}.tmp`, '{"at":1,"cou');
      const inPidNamespace = () =>
        runProcess('unshare', ['--pid', '--fork', '--mount-proc', `${DIST}/check_pod_restarts`, ...kc(), '--state-file', state]);
      const first = await inPidNamespace();
      expect(first.stdout).toMatch(/^POD-RESTARTS OK - /);
      expect(first.code).toBe(0);
      const second = await inPidNamespace();
      expect(second.stdout).toMatch(/^POD-RESTARTS OK - 0 pods restarted since the previous run /);
    },
  );
});

describe.skipIf(process.getuid?.() !== 0)('a DNS server that never answers', () => {
  // Node's own lookup (getaddrinfo on libuv's threads) cannot be stopped, and the process waits
  // for it as it exits: the check printed its UNKNOWN at -t and ended 10 s later (glibc's 5 s,
  // tried twice), past NRPE's timeout. The check runs in a mount namespace of its own, whose
  // /etc/resolv.conf names a server on loopback that takes each query and never answers.
  let dns: import('node:dgram').Socket;
  let resolv: string;
  beforeAll(async () => {
    const { createSocket } = await import('node:dgram');
    const address = `127.83.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    dns = createSocket('udp4');
    dns.on('message', () => {});
    await new Promise<void>((done) => dns.bind(53, address, done));
    resolv = join(scratch(), 'resolv.conf');
    writeFileSync(resolv, `nameserver ${address}\n`);
  });
  afterAll(() => dns?.close());
  const withSilentDns = (command: string, args: string[]) =>
    runProcess('unshare', [
      '-m',
      '/bin/sh',
      '-c',
      'mount --bind "$0" /etc/resolv.conf && exec "$@"',
      resolv,
      `${DIST}/${command}`,
      ...args,
    ]);

  it('a resolver that refuses (nothing listens on it) reads as no DNS answer too, not as a name that does not exist', async () => {
    const refusing = join(scratch(), 'resolv.conf');
    writeFileSync(refusing, `nameserver 127.84.${1 + Math.floor(Math.random() * 250)}.1\n`);
    const kubeconfig = join(scratch(), 'kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(c.kubeconfig, 'utf8').replace(/server: https:\/\/[^\s]+/, 'server: https://k8s09.never.test:16443'),
    );
    const r = await runProcess('unshare', [
      '-m',
      '/bin/sh',
      '-c',
      'mount --bind "$0" /etc/resolv.conf && exec "$@"',
      refusing,
      `${DIST}/check_nodes`,
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^NODES UNKNOWN - API server https:\/\/k8s09\.never\.test:16443 unreachable: /,
        /cannot resolve k8s09\.never\.test: /,
        /no such name, or no DNS answer /,
      ),
    );
  });

  it('a --server and an SSH --host by name: UNKNOWN by name, and the run ends within -t', async () => {
    const dir = scratch();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    writeFileSync(join(dir, 'known_hosts'), `k8s09.never.test ${readFileSync(join(dir, 'key.pub'), 'utf8')}`);
    const certs = await withSilentDns('check_certs', [
      ...kc(),
      '--server',
      'https://k8s09.never.test:16443',
      '--cert-dir',
      dir,
      '--backend-dir',
      join(dir, 'none'),
      '-t',
      '2',
    ]);
    expect(certs.stdout).toMatch(/^CERTS \w+ - .*served by k8s09\.never\.test:16443: timed out after /);
    inTime(certs, 2);
    // An API server by name (a kubeconfig's, or --server): its connections look it up the same way.
    const api = await withSilentDns('check_watch_cache', [...kc(), '--server', 'https://k8s09.never.test:16443', '-t', '2']);
    expect(api.code).toBe(3);
    inTime(api, 2);
    const ssh = ['--host', 'k8s09.never.test', '--ssh-key', join(dir, 'key'), '--ssh-known-hosts', join(dir, 'known_hosts')];
    const journal = await withSilentDns('check_dqlite_lock', [...ssh, '-t', '2']);
    expect(journal.code).toBe(3);
    expect(journal.first).toMatch(/^DQLITE-LOCK UNKNOWN - .*k8s09\.never\.test.*timed out after /);
    inTime(journal, 2);
  });
});
