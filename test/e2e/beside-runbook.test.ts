// check_certs, check_apiserver, check_cronjobs and check_pod_restarts: the built executables
// against the test API server, with certificates made by openssl for each test.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cronJob, jobNameOf, pod } from '../apiserver/objects.ts';
import { certFile, certFileFrom, writeKubeconfig } from '../apiserver/certs.ts';
import { startCluster, type TestCluster, useCluster } from '../helpers/cluster.ts';
import { runBuilt } from '../helpers/run.ts';
import { pattern } from '../helpers/pattern.ts';

describe('check_certs', () => {
  let longLived: TestCluster;
  beforeAll(async () => {
    longLived = await startCluster('127.0.0.1', 800);
  });
  afterAll(async () => longLived?.close());

  it('every certificate over a year away: OK, with min_days and one metric per certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    certFile(dir, 'server.crt', 400, '127.0.0.1');
    certFile(dir, 'front-proxy-client.crt', 400, 'front-proxy-client');
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.first).toMatch(/^CERTS OK - 4 certificates, soonest \S+ in 39\d days \|/);
    expect(r.code).toBe(0);
    expect(r.perf).toMatchObject({ min_days: expect.stringMatching(/^39\d;30:;7:$/), days_ca: '3649' });
    expect(Object.entries(r.perf).find(([k]) => k.startsWith('days_served_127_0_0_1_'))?.[1]).toMatch(/^79\d$/);
    expect(r.stdout).toMatch(/served by 127\.0\.0\.1:\d+: CN=kube-apiserver, expires/);
  });

  it('a server certificate expiring in 5 days: CRITICAL naming it, with the MicroK8s remedy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650);
    const server = certFile(dir, 'server.crt', 5);
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.first).toContain(`CERTS CRITICAL - ${server} expires in 4 days`);
    expect(r.stdout).toMatch(/renew: sudo microk8s refresh-certs --cert server\.crt/);
  });

  it("a range written on purpose is judged as written: '@8:60', '~:60' and '45:' are not the plain '60' refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    certFile(dir, 'server.crt', 41, '127.0.0.1');
    const args = ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir];
    const inside = await runBuilt('check_certs', [...args, '-w', '@8:60']);
    expect([inside.code, inside.perf.min_days]).toEqual([1, '40;@8:60;7:']);
    const above = await runBuilt('check_certs', [...args, '-w', '~:60', '-c', '~:5000']);
    expect([above.code, above.perf.min_days]).toEqual([1, '40;~:60;~:5000']);
    const below = await runBuilt('check_certs', [...args, '-w', '45:']);
    expect(below.first).toMatch(/^CERTS WARNING - \S+server\.crt expires in 40 days/);
  });

  it("dqlite's cluster.crt expiring in 5 days: CRITICAL naming it, with what renews it (refresh-certs does not)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    const backend = mkdtempSync(join(tmpdir(), 'mk8s-backend-'));
    // As MicroK8s' init_cluster makes it (CN=k8s), here for 5 days; the key stays beside it, unread.
    const cluster = certFile(backend, 'cluster.crt', 5, 'k8s');
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--backend-dir', backend]);
    expect(r.code).toBe(2);
    expect(r.first).toContain(`CERTS CRITICAL - ${cluster} expires in 4 days (3 certificates, soonest ${cluster} in 4 days) |`);
    expect(r.perf.days_cluster).toBe('4');
    expect(r.stdout).toMatch(/renew: refresh-certs does not renew it: every control-plane node shares this dqlite certificate/);
  });

  it("a file's metric is its soonest certificate: a chain whose second one expires, a --cert of the same name", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    const parts = mkdtempSync(join(tmpdir(), 'mk8s-certparts-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    // server.crt as a chain: the server's own certificate first, then an intermediate CA that expires.
    const leaf = readFileSync(certFile(parts, 'leaf.crt', 400, '127.0.0.1'), 'utf8');
    const intermediate = readFileSync(certFile(parts, 'intermediate.crt', 5, 'intermediate-ca'), 'utf8');
    writeFileSync(join(dir, 'server.crt'), `${leaf}${intermediate}`);
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.perf.min_days).toBe('4;30:;7:');
    // It was the first certificate's 399: a graph or an alert on days_server never saw the 4.
    expect(r.perf.days_server).toBe('4');
    // Another server.crt, given with --cert: the label is one, its value the sooner of the two.
    const other = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    const soon = certFile(other, 'front-proxy-client.crt', 2, 'front-proxy-client');
    const more = ['--cert', soon, '--kubeconfig', longLived.kubeconfig, '--cert-dir', dir];
    certFile(dir, 'front-proxy-client.crt', 400, 'front-proxy-client');
    const both = await runBuilt('check_certs', more);
    expect(both.perf.days_front_proxy_client).toBe('1');
  });

  it('a certificate not valid yet (notBefore in 2035): CRITICAL, "not valid until"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    const server = certFileFrom(dir, 'server.crt', new Date('2035-01-01T00:00:00Z'), 365, '127.0.0.1');
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(new RegExp(`^CERTS CRITICAL - ${server} not valid until 2035-01-01T00:00:00Z \\(`));
    expect(r.stdout).toMatch(/not valid until 2035-01-01T00:00:00Z: the clock where it was made runs ahead/);
  });

  it('no backend: with the default a worker (said, not judged); a --backend-dir given that is not there: UNKNOWN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    const worker = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toMatch(
      pattern(
        /no dqlite backend at \/var\/snap\/microk8s\/current\/var\/kubernetes\/backend \(a worker /,
        /node runs no dqlite\): cluster\.crt not judged/,
      ),
    );
    const given = await runBuilt('check_certs', [
      '--kubeconfig',
      longLived.kubeconfig,
      '--cert-dir',
      dir,
      '--backend-dir',
      '/nonexistent/backend',
    ]);
    expect(given.code).toBe(3);
    expect(given.first).toContain(
      '/nonexistent/backend/cluster.crt: no dqlite backend directory /nonexistent/backend (fix: check --backend-dir)',
    );
    // A backend that is there without its cluster.crt is not a worker: UNKNOWN naming the file.
    const empty = mkdtempSync(join(tmpdir(), 'mk8s-backend-'));
    mkdirSync(join(empty, 'snapshots'));
    const bare = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--backend-dir', empty]);
    expect(bare.code).toBe(3);
    expect(bare.first).toContain(`${join(empty, 'cluster.crt')}: cannot read certificate ${join(empty, 'cluster.crt')}: no such file`);
    // A dqlite backend (cluster.yaml) without either half of the TLS pair: a dqlite without TLS, as
    // check_dqlite asks it; no certificate of it to judge, said. Half a pair is still UNKNOWN.
    writeFileSync(join(empty, 'cluster.yaml'), '- Address: 127.0.0.1:19001\n  ID: 3297041220608546238\n  Role: 0\n');
    const plain = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--backend-dir', empty]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(`dqlite without TLS: no cluster.crt or cluster.key in ${empty}, no dqlite certificate to judge`);
    writeFileSync(join(empty, 'cluster.key'), '');
    const half = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--backend-dir', empty]);
    expect(half.code).toBe(3);
    expect(half.first).toContain(`${join(empty, 'cluster.crt')}: cannot read certificate`);
  });

  // A worker (no-k8s-dqlite and clustered.lock in $SNAP_DATA/var/lock) runs no dqlite of its own:
  // a cluster.crt left in its backend from before it joined is in use nowhere (DOMAIN.md).
  it("a worker's leftover cluster.crt is not judged, and said; the same file on a control plane is", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    const node = (...locks: string[]) => {
      const snapData = mkdtempSync(join(tmpdir(), 'mk8s-snap-data-'));
      mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
      for (const l of locks) writeFileSync(join(snapData, 'var', 'lock', l), '');
      const backend = join(snapData, 'var', 'kubernetes', 'backend');
      mkdirSync(backend, { recursive: true });
      return { snapData, cluster: certFile(backend, 'cluster.crt', 5, 'k8s') };
    };
    const certs = (snapData: string) =>
      runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--snap-data', snapData]);
    const worker = node('no-k8s-dqlite', 'clustered.lock');
    const w = await certs(worker.snapData);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain(
      `${worker.cluster} not judged: this node runs no dqlite of its own (no-k8s-dqlite: a worker), so its cluster.crt is in use nowhere`,
    );
    // no-k8s-dqlite without clustered.lock: a control plane on an external datastore, said as such.
    const external = node('no-k8s-dqlite');
    const e = await certs(external.snapData);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain(`${external.cluster} not judged: this node runs no dqlite of its own (no-k8s-dqlite: external datastore)`);
    const control = node('clustered.lock');
    const c = await certs(control.snapData);
    expect(c.code).toBe(2);
    expect(c.first).toContain(`CERTS CRITICAL - ${control.cluster} expires in 4 days`);
  });

  it('the certificate the API server serves, 2 days from expiry: CRITICAL naming the server', async () => {
    const c = await startCluster();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
      certFile(dir, 'ca.crt', 3650);
      const r = await runBuilt('check_certs', ['--kubeconfig', c.kubeconfig, '--cert-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.first).toMatch(/^CERTS CRITICAL - served by 127\.0\.0\.1:\d+ expires in 1 day/);
      // What a server serves is that node's server.crt: renewed there, with the same CA.
      expect(r.stdout).toContain("  renew: it is that node's server.crt: sudo microk8s refresh-certs --cert server.crt on it\n");
    } finally {
      await c.close();
    }
  });

  it('a file that is not a certificate: UNKNOWN naming it, never OK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650);
    writeFileSync(join(dir, 'server.crt'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.first).toContain(
      `CERTS UNKNOWN - ${join(dir, 'server.crt')}: ${join(dir, 'server.crt')} is not a certificate that can be read`,
    );
  });

  it('a chain cut short (a certificate begun and never ended, a copy on a full disk): UNKNOWN, never OK on the part read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650);
    const leaf = readFileSync(certFile(mkdtempSync(join(tmpdir(), 'mk8s-certdir-')), 'leaf.crt', 300), 'latin1');
    // The second certificate of the chain, cut in its middle.
    const second = readFileSync(certFile(mkdtempSync(join(tmpdir(), 'mk8s-certdir-')), 'int.crt', 2), 'latin1');
    writeFileSync(join(dir, 'server.crt'), `${leaf}${second.slice(0, second.length / 2)}`);
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.first).toContain(
      `CERTS UNKNOWN - ${join(dir, 'server.crt')}: ${join(dir, 'server.crt')} holds a certificate cut short ` +
        '(a BEGIN CERTIFICATE line with no END CERTIFICATE after it)',
    );
    // The fix is a command to paste, naming the file: a '|' in it is printed as '¦' (it would start perfdata).
    expect(r.first).toContain(`(fix: check the file: openssl storeutl -noout -certs ${join(dir, 'server.crt')})`);
    expect(r.first).not.toContain('\u00a6');
  });

  it('no certificate directory: UNKNOWN saying so', async () => {
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', '/nonexistent/certs']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      /^CERTS UNKNOWN - no certificate directory \/nonexistent\/certs \(fix: run on a MicroK8s node or give --cert-dir\)$/,
    );
    // A certificate given where its directory goes: said so, never blamed on the microk8s group.
    const file = certFile(mkdtempSync(join(tmpdir(), 'mk8s-certdir-')), 'server.crt', 300, '10.0.0.11');
    const notDir = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', file]);
    expect(notDir.code).toBe(3);
    expect(notDir.first).toBe(
      `CERTS UNKNOWN - certificate directory ${file} is a file, not a directory (fix: give --cert-dir the directory, --cert a file)`,
    );
  });

  it('a certificate directory holding no certificate (a mistyped --cert-dir) is UNKNOWN naming it, the rest still judged', async () => {
    // $SNAP_DATA itself instead of its certs/: judged on the served certificate alone, it was OK.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-snapdata-'));
    writeFileSync(join(dir, 'server.key'), 'not read');
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      new RegExp(`^CERTS UNKNOWN - ${dir}: no certificate \\(\\*\\.crt\\) in it \\(fix: give --cert-dir the directory MicroK8s `),
    );
    expect(Object.keys(r.perf).some((k) => k.startsWith('days_served_127_0_0_1_'))).toBe(true);
    // A MicroK8s elsewhere (--snap-data): its certificates are in its certs/, not the default's.
    const snap = mkdtempSync(join(tmpdir(), 'mk8s-snapdata-'));
    const elsewhere = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--snap-data', snap]);
    expect(elsewhere.first).toContain(`(fix: give --cert-dir the directory MicroK8s keeps them in, ${join(snap, 'certs')})`);
  });

  it("the kubeconfig user's client certificate, as a file or inline, 5 days from expiry: CRITICAL naming the user", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    // As MicroK8s' client-x509.config template points at them: the user's certificate and key files.
    const own = mkdtempSync(join(tmpdir(), 'mk8s-client-'));
    const crt = certFile(own, 'client.crt', 5, 'nagios');
    const server = longLived.api.url;
    const asFile = writeKubeconfig(own, server, longLived.certs.ca, { certFile: crt, keyFile: `${crt}.key` });
    const file = await runBuilt('check_certs', ['--kubeconfig', asFile, '--cert-dir', dir]);
    expect(file.code).toBe(2);
    expect(file.first).toMatch(/^CERTS CRITICAL - kubeconfig user nagios expires in 4 days \(/);
    expect(file.perf.days_client).toBe('4');
    // The same pair inline (client-certificate-data, as an admin.conf carries it).
    const inline = join(own, 'kubeconfig-inline');
    writeFileSync(
      inline,
      readFileSync(asFile, 'utf8')
        .replace(/client-certificate: .*/, `client-certificate-data: ${readFileSync(crt).toString('base64')}`)
        .replace(/client-key: .*/, `client-key-data: ${readFileSync(`${crt}.key`).toString('base64')}`),
    );
    const data = await runBuilt('check_certs', ['--kubeconfig', inline, '--cert-dir', dir]);
    expect(data.code).toBe(2);
    expect(data.first).toMatch(/^CERTS CRITICAL - kubeconfig user nagios expires in 4 days \(/);
    expect(data.perf.days_client).toBe('4');
  });

  it('a --cert in DER (openssl -outform DER), 5 days from expiry: CRITICAL naming it, never skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(dir, 'ca.crt', 3650, '10.152.183.1');
    const other = mkdtempSync(join(tmpdir(), 'mk8s-der-'));
    const pem = certFile(other, 'registry.crt', 5, 'registry');
    const der = join(other, 'registry.der');
    execFileSync('openssl', ['x509', '-in', pem, '-outform', 'DER', '-out', der]);
    const r = await runBuilt('check_certs', ['--kubeconfig', longLived.kubeconfig, '--cert-dir', dir, '--cert', der]);
    expect(r.code).toBe(2);
    expect(r.first).toContain(`CERTS CRITICAL - ${der} expires in 4 days`);
    expect(r.perf.days_registry_der).toBe('4');
  });
});

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const kc = () => ['--kubeconfig', c.kubeconfig];

/** Seconds into the current 5-minute slot, once 2 to 280: a CronJob scheduled at its start is judged within it. */
async function intoSlot(): Promise<number> {
  while (Date.now() % 300_000 < 2000 || Date.now() % 300_000 > 280_000) await new Promise((r) => setTimeout(r, 500));
  return (Date.now() % 300_000) / 1000;
}

describe('check_apiserver', () => {
  it('ready and live: OK with readyz_time', async () => {
    const r = await runBuilt('check_apiserver', kc());
    expect(r.code).toBe(0);
    expect(r.first).toMatch(
      /^APISERVER OK - 127\.0\.0\.1:\d+: ready and live \(readyz 0\.\d{3}s, 26 checks\) \| readyz_time=[\d.]+s;1;5;0 failed_checks=0;;;0$/,
    );
    expect(c.api.requests.map((q) => `${q.path}?${Object.keys(q.query).join('&')}`).sort()).toEqual(['/livez?verbose', '/readyz?verbose']);
  });

  it('[-]etcd failed with 500: CRITICAL naming etcd, and where to look next', async () => {
    c.api.failingChecks.set('etcd', 'reason withheld');
    const r = await runBuilt('check_apiserver', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      pattern(
        /^APISERVER CRITICAL - 127\.0\.0\.1:\d+: not ready: \[-\]etcd failed: reason /,
        /withheld, \[-\]etcd-readiness failed: reason withheld, not live: \[-\]etcd failed: reason /,
        /withheld \(readyz/,
      ),
    );
    expect(r.perf.failed_checks).toBe('3;;;0');
    expect(r.stdout).toMatch(/etcd here is kine on k8s-dqlite/);
  });

  it('a slow readyz: WARNING, and the next step: the write-contention checks, no kubelite restart', async () => {
    // A struggling datastore: readyz runs the etcd (kine) check each time it is asked.
    c.api.healthGate = () => new Promise((r) => setTimeout(r, 600));
    const r = await runBuilt('check_apiserver', [...kc(), '-w', '0.3']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^APISERVER WARNING - 127\.0\.0\.1:\d+: readyz slow \(readyz 0\.\d{3}s\) \| readyz_time=[\d.]+s;0\.3;5;0 /);
    expect(r.stdout).toMatch(
      /^A slow readyz is the datastore struggling \(write contention\): see check_dqlite_lock and check_kine_retries\.$/m,
    );
    expect(r.stdout).toMatch(/^Do not restart kubelite on any node until this check is OK: /m);
    // Not failing: nothing of etcd to look at.
    expect(r.stdout).not.toMatch(/etcd here is kine/);
  });

  it('200 with a [-] line: that sub-check failed whatever the status code says, CRITICAL', async () => {
    // What a proxy that rewrites the status, or a broken server, sends: the report still names the failure.
    c.api.intercept = (_req, res, url) => {
      if (url.pathname !== '/readyz') return false;
      const text = '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]informer-sync ok\nreadyz check passed\n';
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(text);
      return true;
    };
    const r = await runBuilt('check_apiserver', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^APISERVER CRITICAL - 127\.0\.0\.1:\d+: not ready: \[-\]etcd failed: reason withheld \(readyz/);
    expect(r.perf.failed_checks).toBe('1;;;0');
  });

  it('a proxy page instead of a health report: UNKNOWN, never OK', async () => {
    c.api.intercept = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Sign in</body></html>');
      return true;
    };
    const r = await runBuilt('check_apiserver', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/\/readyz answered 200 with 33 bytes of text\/html, not a health report/);
    // Nothing was judged: no count of failed checks (0 on a graph would read healthy), no readyz time.
    expect(r.first).not.toContain('|');
  });

  it('credentials rejected: UNKNOWN, with no readyz_time or failed_checks=0 that would graph as a healthy server', async () => {
    const r = await runBuilt('check_apiserver', ['--kubeconfig', c.kubeconfigBadToken]);
    expect(r.code).toBe(3);
    // Both refused alike: said once, with the fix.
    expect(r.first).toMatch(/^APISERVER UNKNOWN - 127\.0\.0\.1:\d+: \/readyz and \/livez: the credentials were rejected \(401\) \(fix: /);
    expect(r.first).toMatch(/\(fix: renew the token or client certificate in the kubeconfig\)$/);
    expect(r.first).not.toContain('|');
    // A context that sends none has nothing to renew: the fix says what is missing.
    const anonymous = join(mkdtempSync(join(tmpdir(), 'mk8s-kubeconfig-')), 'kubeconfig');
    writeFileSync(anonymous, readFileSync(c.kubeconfig, 'utf8').replace('    user: nagios\n', ''));
    const none = await runBuilt('check_apiserver', ['--kubeconfig', anonymous]);
    expect(none.first).toMatch(
      /^APISERVER UNKNOWN - 127\.0\.0\.1:\d+: \/readyz and \/livez: the request was refused \(401\) \(fix: context 'microk8s' of the /,
    );
  });
});

describe('check_cronjobs', () => {
  // `ago` seconds ago or earlier, on the last 5-minute mark (a time of the schedule every 5 minutes) before it.
  const onFive = (ago: number) => ago + (Math.floor(Date.now() / 1000 - ago) % 300);
  it('a */5 CronJob last scheduled 40 minutes ago: WARNING naming it; 3 minutes ago: OK; suspended: not counted', async () => {
    c.api.add(
      'cronjobs',
      // On a schedule time, as the controller stamps lastScheduleTime: 40 minutes ago or up to 5 earlier.
      cronJob({ namespace: 'ops', name: 'backup', schedule: '*/5 * * * *', scheduledAgo: onFive(2400), succeededAgo: onFive(2400) - 10 }),
      cronJob({ namespace: 'ops', name: 'report', schedule: '*/5 * * * *', scheduledAgo: 180, succeededAgo: 170 }),
      cronJob({ namespace: 'ops', name: 'paused', schedule: '*/5 * * * *', scheduledAgo: 86400, suspend: true }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^CRONJOBS WARNING - 1 of 2 CronJobs late: ops\/backup \| late=1;0;;0;2 failed_last=0;;;0;2 cronjobs=2;;;0 busy=0;;;0;2$/,
    );
    expect(r.stdout).toMatch(/late ops\/backup \(\*\/5 \* \* \* \*\): last scheduled 4\dm\d*s? ago, its next run was due 3\dm\d*s? ago/);
  });

  it('TZ set empty (UTC, as the C library reads it) or to a zone the host lacks: schedules are read in UTC, never UNKNOWN', async () => {
    // ICU names an empty TZ 'Etc/Unknown', which no zone lookup takes: every CronJob without a
    // timeZone of its own was UNKNOWN, "time zone 'Etc/Unknown' is not known here".
    c.api.add('cronjobs', cronJob({ namespace: 'ops', name: 'backup', schedule: '*/5 * * * *', scheduledAgo: 2400, succeededAgo: 2390 }));
    for (const TZ of ['', 'Nowhere/Land']) {
      const r = await runBuilt('check_cronjobs', kc(), { env: { ...process.env, TZ } });
      expect(r.first, `TZ='${TZ}'`).toMatch(/^CRONJOBS WARNING - 1 of 1 CronJob late: ops\/backup \|/);
    }
  });

  it('every CronJob late: CRITICAL, the controller-manager looks frozen', async () => {
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'ops', name: 'a', schedule: '*/5 * * * *', scheduledAgo: 3600, succeededAgo: 3590 }),
      cronJob({ namespace: 'ops', name: 'b', schedule: '0 * * * *', scheduledAgo: 4 * 3600, succeededAgo: 4 * 3600 - 10 }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^CRONJOBS CRITICAL - 2 of 2 CronJobs late: ops\/a, ops\/b, no CronJob was scheduled on time/);
  });

  it('a last Job that failed: WARNING; one still running: not failed', async () => {
    // Both scheduled at the latest */5 slot, as the controller does, at least 2 s and at most
    // 280 s into it (the check runs within the same slot); --grace 1s judges them at once.
    const slot = await intoSlot();
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'ops', name: 'broken', schedule: '*/5 * * * *', scheduledAgo: slot, succeededAgo: 3600 }),
      cronJob({
        namespace: 'ops',
        name: 'long',
        schedule: '*/5 * * * *',
        scheduledAgo: slot,
        succeededAgo: 3600,
        active: ['long-29400000'],
      }),
    );
    const r = await runBuilt('check_cronjobs', [...kc(), '--grace', '1s']);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^CRONJOBS WARNING - 0 of 2 CronJobs late, last Job failed: ops\/broken \|/);
    expect(r.perf.failed_last).toBe('1;;;0;2');
  });

  it('successfulJobsHistoryLimit 0: no lastSuccessfulTime is no failure (before Kubernetes 1.31 none is ever set)', async () => {
    // Before kubernetes/kubernetes#122025 (1.31) the controller sets lastSuccessfulTime only for a
    // finished Job no longer in status.active; with a limit of 0 it deletes the Job in the sync
    // that takes it out, so a CronJob that succeeds every run reads as this one, as on MicroK8s 1.30.
    const slot = await intoSlot();
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'linkerd', name: 'heartbeat', schedule: '*/5 * * * *', scheduledAgo: slot, successfulJobsHistoryLimit: 0 }),
    );
    // MicroK8s 1.30's API server says so at /version; one that does not answer it is taken as that too.
    const version = (gitVersion: string | undefined) => {
      c.api.intercept = (_req, res, url) => {
        if (url.pathname !== '/version') return false;
        if (gitVersion === undefined) res.writeHead(403).end('{}');
        else
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ major: '1', minor: gitVersion.split('.')[1], gitVersion }));
        return true;
      };
    };
    for (const [gitVersion, said] of [
      ['v1.30.14', 'this API server is v1.30.14'],
      [undefined, "this API server's /version was not read"],
    ] as const) {
      version(gitVersion);
      const r = await runBuilt('check_cronjobs', [...kc(), '--grace', '1s']);
      expect(r.code, r.stdout).toBe(0);
      expect(r.first).toMatch(/^CRONJOBS OK - 0 of 1 CronJob late \| late=0;0;;0;1 failed_last=0;;;0;1 /);
      expect(r.stdout).toMatch(
        /^linkerd\/heartbeat: last Job not judged: successfulJobsHistoryLimit 0 deletes a Job that succeeded before lastSuccessfulTime/m,
      );
      expect(r.stdout).toContain(`(Kubernetes before 1.31; ${said})`);
    }
  });

  it('successfulJobsHistoryLimit 0 on Kubernetes 1.31 or later: lastSuccessfulTime is set, a last Job that failed is WARNING', async () => {
    // kubernetes/kubernetes#122025 (1.31; MicroK8s 1.31-1.35) sets lastSuccessfulTime whatever the
    // limit: one older than the last schedule is a run that failed, as for any other CronJob. It
    // read OK, its failure only 'not judged' in the long output, for a rule of older releases.
    const slot = await intoSlot();
    c.api.add(
      'cronjobs',
      cronJob({
        namespace: 'ops',
        name: 'backup',
        schedule: '*/5 * * * *',
        scheduledAgo: slot,
        succeededAgo: slot + 300,
        successfulJobsHistoryLimit: 0,
      }),
    );
    const r = await runBuilt('check_cronjobs', [...kc(), '--grace', '1s']);
    expect(r.code, r.stdout).toBe(1);
    expect(r.first).toMatch(/^CRONJOBS WARNING - 0 of 1 CronJob late, last Job failed: ops\/backup \|/);
    expect(r.stdout).not.toContain('not judged');
  });

  it('Forbid with its Job still running: busy, not late, no frozen controller-manager; past its next run the Job is named', async () => {
    // The controller skips a Forbid run while a Job is active and keeps lastScheduleTime where it
    // was; the Job started at that time, on a 5-minute slot an hour ago, and still runs.
    const slot = (Date.now() % 300_000) / 1000 + 3600;
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'ops', name: 'report', schedule: '*/5 * * * *', scheduledAgo: 2400, succeededAgo: 2390 }),
      cronJob({
        namespace: 'ops',
        name: 'backup',
        schedule: '*/5 * * * *',
        concurrencyPolicy: 'Forbid',
        scheduledAgo: slot,
        succeededAgo: slot + 300,
        active: [jobNameOf('backup', slot)],
      }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      pattern(
        /^CRONJOBS WARNING - 1 of 2 CronJobs late: ops\/report \(1 busy\), Job running longer /,
        /than its schedule's period: ops\/backup \| late=1;0;;0;2 .* busy=1;;;0;2$/,
      ),
    );
    expect(r.stdout).toMatch(
      pattern(
        /busy ops\/backup \(\*\/5 \* \* \* \*\): Job backup-\d+ still active, last scheduled /,
        /1h\d*m? ago, a run was due (?:5\dm\d*s?|1h\d*m?) ago/,
      ),
    );
  });

  /**
   * A daily CronJob whose run, at the hour in UTC+1, was two hours ago in UTC, on time (the next
   * one tomorrow): read in UTC (--time-zone, as if its zone were ignored) one was due an hour ago.
   */
  const ranInUtcPlusOne = async (zone: (hour: number) => { schedule: string; timeZone?: string }) => {
    const now = Date.now();
    const ran = Math.floor(now / 3600_000) * 3600_000 - 7200_000;
    const hour = (new Date(ran).getUTCHours() + 1) % 24;
    const ago = (now - ran) / 1000;
    c.api.add('cronjobs', cronJob({ namespace: 'ops', name: 'nightly', ...zone(hour), scheduledAgo: ago, succeededAgo: ago - 30 }));
    return runBuilt('check_cronjobs', [...kc(), '--time-zone', 'UTC']);
  };

  it('CRON_TZ= names the zone the schedule is read in, as the controller reads it', async () => {
    const r = await ranInUtcPlusOne((hour) => ({ schedule: `CRON_TZ=Etc/GMT-1 0 ${hour} * * *` }));
    expect(r.first).toMatch(/^CRONJOBS OK - 0 of 1 CronJob late \|/);
    expect(r.code).toBe(0);
  });

  it('spec.timeZone names the zone a schedule without a prefix is read in', async () => {
    // The zone given in the spec (batch/v1, Kubernetes 1.27+) instead of the schedule.
    const r = await ranInUtcPlusOne((hour) => ({ schedule: `0 ${hour} * * *`, timeZone: 'Africa/Lagos' }));
    expect(r.first).toMatch(/^CRONJOBS OK - 0 of 1 CronJob late \|/);
    expect(r.code).toBe(0);
  });

  it('a --time-zone that is no zone: UNKNOWN naming the option, also when every CronJob names its own zone', async () => {
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'ops', name: 'nightly', schedule: '0 2 * * *', timeZone: 'UTC', scheduledAgo: 60, succeededAgo: 30 }),
    );
    const r = await runBuilt('check_cronjobs', [...kc(), '--time-zone', 'Mars/Olympus_Mons']);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(/^CRONJOBS UNKNOWN - --time-zone 'Mars\/Olympus_Mons' is not an IANA time zone \(e\.g\. Europe\/Berlin, UTC\)/);
  });

  it("startingDeadlineSeconds and creationTimestamp are read: a run its deadline allows is not late, nor a new CronJob's", async () => {
    c.api.add(
      'cronjobs',
      cronJob({
        namespace: 'ops',
        name: 'slack',
        schedule: '*/5 * * * *',
        startingDeadlineSeconds: 3600,
        scheduledAgo: 2400,
        succeededAgo: 2390,
      }),
      // Created a minute ago, never scheduled yet: its first run is due within 5 minutes of its creation.
      cronJob({ namespace: 'ops', name: 'new', schedule: '*/5 * * * *', createdAgo: 60 }),
      // Created an hour ago and never scheduled: late.
      cronJob({ namespace: 'ops', name: 'never', schedule: '*/5 * * * *', createdAgo: 3600 }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^CRONJOBS WARNING - 1 of 3 CronJobs late: ops\/never \|/);
    expect(r.stdout).toMatch(/^late ops\/never \(\*\/5 \* \* \* \*\): never scheduled, its next run was due (?:5\dm\d*s?|1h) ago$/m);
  });

  it('startingDeadlineSeconds: runs missed while suspended are not late once it is resumed; the controller never starts them', async () => {
    // A nightly export, its run 6 hours from now, suspended for a maintenance 3 days ago and resumed
    // 10 minutes ago (kubectl patch): with startingDeadlineSeconds the controller starts no run due more
    // than that before now (MissSchedule), so lastScheduleTime stays 3 days old until tonight's run.
    const at = new Date(Date.now() + 6 * 3600_000);
    const schedule = `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    const stamp = (ago: number) => new Date(Date.now() - ago * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const nightly = (name: string) =>
      cronJob({
        namespace: 'ops',
        name,
        schedule,
        startingDeadlineSeconds: 300,
        scheduledAgo: 3 * 86400 - 21600,
        succeededAgo: 3 * 86400 - 21720,
      });
    const resumed = nightly('export');
    Object.assign(resumed.status, { lastScheduleTime: stamp(3 * 86400 - 21600).replace(/:\d\dZ$/, ':00Z') });
    Object.assign(resumed.metadata, {
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'batch/v1',
          time: stamp(30 * 86400),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:schedule': {}, 'f:startingDeadlineSeconds': {}, 'f:jobTemplate': {} } },
        },
        {
          manager: 'kubectl-patch',
          operation: 'Update',
          apiVersion: 'batch/v1',
          time: stamp(600),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:suspend': {} } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'batch/v1',
          time: stamp(3 * 86400 - 21600),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:lastScheduleTime': {}, 'f:lastSuccessfulTime': {} } },
          subresource: 'status',
        },
      ],
    });
    c.api.add('cronjobs', resumed);
    const r = await runBuilt('check_cronjobs', [...kc(), '--time-zone', 'UTC']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^CRONJOBS OK - 0 of 1 CronJob late \|/);
    // The same CronJob nobody resumed (no spec written since): its runs were due and not started, late.
    c.api.add('cronjobs', nightly('report'));
    const both = await runBuilt('check_cronjobs', [...kc(), '--time-zone', 'UTC']);
    expect(both.code, both.stdout).toBe(1);
    expect(both.first).toMatch(/^CRONJOBS WARNING - 1 of 2 CronJobs late: ops\/report \|/);
  });

  it('a CronJob being deleted is not late: the controller starts no run of one, by design', async () => {
    // `kubectl delete cronjob backup --cascade=foreground` 40 minutes ago, its last Job's pod stuck on a node that
    // is down: the CronJob waits in deletion (foregroundDeletion) and its */5 runs are not started.
    const stamp = (ago: number) => new Date(Date.now() - ago * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const going = cronJob({
      namespace: 'ops',
      name: 'backup',
      schedule: '*/5 * * * *',
      scheduledAgo: onFive(2400),
      succeededAgo: onFive(2400) - 10,
    });
    Object.assign(going.metadata, { deletionTimestamp: stamp(2400), deletionGracePeriodSeconds: 0, finalizers: ['foregroundDeletion'] });
    c.api.add(
      'cronjobs',
      going,
      cronJob({ namespace: 'ops', name: 'report', schedule: '*/5 * * * *', scheduledAgo: 180, succeededAgo: 170 }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^CRONJOBS OK - 0 of 1 CronJob late \| late=0;0;;0;1 failed_last=0;;;0;1 cronjobs=1;;;0 busy=0;;;0;1$/);
  });

  it('@every counts from the last run, as Kubernetes does', async () => {
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'ops', name: 'sync', schedule: '@every 45m', scheduledAgo: 2400, succeededAgo: 2390 }),
      cronJob({ namespace: 'ops', name: 'poll', schedule: '@every 5m', scheduledAgo: 2400, succeededAgo: 2390 }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^CRONJOBS WARNING - 1 of 2 CronJobs late: ops\/poll \|/);
    expect(r.stdout).toMatch(/late ops\/poll \(@every 5m\): last scheduled 40m\d*s? ago, its next run was due 3[5-9]m\d*s? ago/);
  });

  it('a lastScheduleTime in the future (clock skew): WARNING saying so, never a silent OK', async () => {
    c.api.add('cronjobs', cronJob({ namespace: 'ops', name: 'backup', schedule: '*/5 * * * *', scheduledAgo: -7200, succeededAgo: 60 }));
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^CRONJOBS WARNING - 0 of 1 CronJob late, last scheduled in the future: ops\/backup \|/);
    expect(r.stdout).toMatch(/ops\/backup: lastScheduleTime \S+ is (?:1h5\dm|2h) ahead of this host's clock/);
  });

  it('one schedule that cannot be read is UNKNOWN for that one; the others still decide (CRITICAL wins)', async () => {
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'ops', name: 'a', schedule: '*/5 * * * *', scheduledAgo: 3600, succeededAgo: 3590 }),
      cronJob({ namespace: 'ops', name: 'b', schedule: '0 * * * *', scheduledAgo: 4 * 3600, succeededAgo: 4 * 3600 - 10 }),
      // Accepted by API servers before they validated zones; no controller can run it.
      cronJob({ namespace: 'ops', name: 'odd', schedule: 'TZ=Mars/Olympus_Mons 0 * * * *', scheduledAgo: 60 }),
    );
    const r = await runBuilt('check_cronjobs', kc());
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      pattern(
        /^CRONJOBS CRITICAL - 2 of 3 CronJobs late: ops\/a, ops\/b, no CronJob was scheduled on /,
        /time: is the controller-manager frozen\?, ops\/odd: cannot read its schedule \(time zone /,
        /'Mars\/Olympus_Mons' is not known here/,
      ),
    );
  });

  it('-n takes one namespace; --exclude-namespace is a field selector the API server accepts', async () => {
    c.api.add(
      'cronjobs',
      cronJob({ namespace: 'dev', name: 'x', schedule: '*/5 * * * *', scheduledAgo: 7200 }),
      cronJob({ namespace: 'ops', name: 'y', schedule: '*/5 * * * *', scheduledAgo: 60 }),
    );
    expect((await runBuilt('check_cronjobs', [...kc(), '--exclude-namespace', 'dev'])).code).toBe(0);
    expect((await runBuilt('check_cronjobs', [...kc(), '-n', 'dev'])).code).toBe(1);
  });
});

describe('check_pod_restarts', () => {
  it('restartCount 4 -> 9 between two runs: WARNING naming the pod, its container and how it last ended', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    const p = pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 4 });
    const quiet = pod({ namespace: 'web', name: 'quiet', node: 'node1', ip: '10.1.22.8', restarts: 2 });
    c.api.add('pods', structuredClone(p), structuredClone(quiet));
    const first = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(first.code).toBe(0);
    expect(first.first).toMatch(
      /^POD-RESTARTS OK - 0 pods in CrashLoopBackOff of 2 pods \(restarts counted from now on\) \| restarted=U;;;0;2/,
    );
    c.api.clear('pods');
    const again = structuredClone(p);
    again.status.containerStatuses[0]!.restartCount = 9;
    (again.status.containerStatuses[0] as { lastState: unknown }).lastState = {
      terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-11-28T03:00:00Z', finishedAt: '2026-11-28T03:01:00Z' },
    };
    // The same pods (same UIDs): one container restarted five more times, the other not at all.
    c.api.add('pods', again, structuredClone(quiet));
    const second = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(second.code).toBe(1);
    expect(second.first).toMatch(
      /^POD-RESTARTS WARNING - 1 pod restarted since the previous run \d+s ago: web\/api-7d9f8b6c5-x2k4m \| restarted=1;0;;0;2/,
    );
    expect(second.stdout).toMatch(/web\/api-7d9f8b6c5-x2k4m container app: restarts 4 -> 9, last ended OOMKilled \(exit 137\)/);
  });

  it('a container that restarted once since the previous run (restartCount 0 -> 1): WARNING naming the pod', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    const p = pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 0 });
    c.api.add('pods', structuredClone(p));
    expect((await runBuilt('check_pod_restarts', [...kc(), '--state-file', state])).code).toBe(0);
    c.api.clear('pods');
    const once = structuredClone(p);
    once.status.containerStatuses[0]!.restartCount = 1;
    c.api.add('pods', once);
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^POD-RESTARTS WARNING - 1 pod restarted since the previous run \d+s ago: web\/api-7d9f8b6c5-x2k4m \| restarted=1;0;;0;1/,
    );
    expect(r.stdout).toMatch(/web\/api-7d9f8b6c5-x2k4m container app: restarts 0 -> 1/);
    // That one restart was kept: the next run, with no new one, is OK.
    const after = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(after.code).toBe(0);
    expect(after.first).toMatch(/^POD-RESTARTS OK - 0 pods restarted since the previous run \d+s ago \| restarted=0;0;;0;1/);
  });

  it('a restartCount that went down on the same pod UID: the counter was reset, its new value is growth', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    const p = pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 9 });
    c.api.add('pods', structuredClone(p));
    expect((await runBuilt('check_pod_restarts', [...kc(), '--state-file', state])).code).toBe(0);
    c.api.clear('pods');
    const reset = structuredClone(p);
    reset.status.containerStatuses[0]!.restartCount = 2;
    c.api.add('pods', reset);
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^POD-RESTARTS WARNING - 1 pod restarted since the previous run \d+s ago: web\/api-7d9f8b6c5-x2k4m \| restarted=1;0;;0;1/,
    );
    expect(r.stdout).toMatch(/web\/api-7d9f8b6c5-x2k4m container app: restarts 9 -> 2 \(the count was reset: 2 new\)/);
  });

  it('a state file it cannot write: UNKNOWN on every run, saying so once, never that growth is judged from the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-state-'));
    // Under a regular file: no directory can be made there, for root either.
    writeFileSync(join(dir, 'plain'), '');
    const state = join(dir, 'plain', 'restarts.json');
    c.api.add('pods', pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 4 }));
    for (const run of ['first', 'second']) {
      const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
      expect(r.code, run).toBe(3);
      expect(r.first, run).toMatch(
        pattern(
          /^POD-RESTARTS UNKNOWN - restart counts cannot be kept in \S+\/plain\/restarts\.json \(\S+\/plain is not a directory\): /,
          /restarts since the previous run not judged \(fix: give --state-file a file this user can write\) \(1 pod\) \| restarted=U/,
        ),
      );
      expect(r.stdout.match(/cannot be kept/g), run).toHaveLength(1);
      expect(r.stdout, run).not.toMatch(/from the next run|counted from now on/);
    }
    // A pod in CrashLoopBackOff is still named beside it.
    c.api.add('pods', pod({ namespace: 'web', name: 'db-0', node: 'node1', ip: '10.1.22.8', restarts: 7, crashLooping: true }));
    const looping = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(looping.code).toBe(3);
    expect(looping.first).toMatch(
      /^POD-RESTARTS UNKNOWN - restart counts cannot be kept in .*, 1 pod in CrashLoopBackOff: web\/db-0 \(2 pods\)/,
    );
  });

  it('a home that does not exist is not made to keep the state in (root could): said, not judged next time', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'mk8s-home-')), 'nonexistent');
    c.api.add('pods', pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 4 }));
    const { XDG_STATE_HOME: _, XDG_CACHE_HOME: __, ...env } = process.env;
    // Written with a trailing slash too (HOME=/nonexistent/): the state file's path is normalized, the home as given is not.
    for (const given of [home, `${home}/`]) {
      const r = await runBuilt('check_pod_restarts', kc(), { env: { ...env, HOME: given } });
      expect(r.code, given).toBe(3);
      expect(r.first, given).toMatch(
        new RegExp(
          `^POD-RESTARTS UNKNOWN - restart counts cannot be kept in .*\\(home directory ${given} does not exist\\): .*` +
            '\\(fix: give --state-file PATH, or set XDG_STATE_HOME\\)',
        ),
      );
      expect(existsSync(home), given).toBe(false);
    }
  });

  it('a relative XDG_STATE_HOME is ignored, as XDG says: the state goes under the home, not the current directory', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
    const cwd = mkdtempSync(join(tmpdir(), 'mk8s-cwd-'));
    c.api.add('pods', pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 4 }));
    const r = await runBuilt('check_pod_restarts', kc(), { cwd, env: { ...process.env, HOME: home, XDG_STATE_HOME: 'state' } });
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, 'state'))).toBe(false);
    expect(existsSync(join(home, '.local', 'state', 'microk8s-checks'))).toBe(true);
  });

  it('-l selects the pods judged, and each selector keeps restart counts of its own: one run never judges against another', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
    const { XDG_STATE_HOME: _, ...env } = process.env;
    const calico = { labels: { 'k8s-app': 'calico-node', 'controller-revision-hash': '6d8f7b9c4', 'pod-template-generation': '1' } };
    c.api.add(
      'pods',
      pod({ namespace: 'kube-system', name: 'calico-node-cp8hh', node: 'node1', ip: '10.0.0.11', restarts: 4, ...calico }),
      pod({ namespace: 'web', name: 'api-7d9f8b6c5-x2k4m', node: 'node1', ip: '10.1.22.7', restarts: 2, labels: { app: 'api' } }),
    );
    const run = (selector: string) => runBuilt('check_pod_restarts', [...kc(), '-l', selector], { env: { ...env, HOME: home } });
    const first = await run('k8s-app=calico-node');
    expect(first.code, first.stdout).toBe(0);
    expect(first.first).toMatch(
      /^POD-RESTARTS OK - 0 pods in CrashLoopBackOff of 1 pod \(restarts counted from now on\) \| restarted=U;;;0;1 /,
    );
    // Another selector's first run: the api pod's 2 restarts are no growth since calico-node's counts.
    const other = await run('app=api');
    expect(other.code, other.stdout).toBe(0);
    expect(other.first).toMatch(/^POD-RESTARTS OK - 0 pods in CrashLoopBackOff of 1 pod \(restarts counted from now on\) \|/);
    const again = await run('k8s-app=calico-node');
    expect(again.code, again.stdout).toBe(0);
    expect(again.first).toMatch(/^POD-RESTARTS OK - 0 pods restarted since the previous run \d+s ago \| restarted=0;0;;0;1 /);
  });

  it('a pod recreated under the same name (a StatefulSet pod) restarted as often as its predecessor: growth, not none', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    c.api.add('pods', pod({ namespace: 'data', name: 'db-0', node: 'node1', ip: '10.1.22.30', restarts: 3 }));
    expect((await runBuilt('check_pod_restarts', [...kc(), '--state-file', state])).code).toBe(0);
    // Evicted and made again by its StatefulSet (a new UID), it crashed 3 times since.
    c.api.clear('pods');
    c.api.add(
      'pods',
      pod({ namespace: 'data', name: 'db-0', node: 'node2', ip: '10.1.22.31', restarts: 3, lastExit: { reason: 'Error', exitCode: 1 } }),
    );
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^POD-RESTARTS WARNING - 1 pod restarted since the previous run \d+s ago: data\/db-0 \| restarted=1;0;;0;1/);
    expect(r.stdout).toMatch(/data\/db-0 container app: restarts 0 -> 3, last ended Error \(exit 1\)/);
  });

  it('an init container in CrashLoopBackOff (Init:CrashLoopBackOff): WARNING naming the pod and the init container', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    const p = pod({ namespace: 'web', name: 'api-7d9f8b6c5-k2x8p', node: 'node1', ip: '10.1.22.32', phase: 'Pending', ready: false });
    // As the kubelet reports it: the init container waits in back-off, the app container waits to start.
    const at = p.status.startTime;
    Object.assign(p.status, {
      conditions: p.status.conditions.map((x) =>
        x.type === 'Initialized'
          ? { ...x, status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [migrate]' }
          : x.type === 'PodReadyToStartContainers'
            ? { ...x, status: 'True' }
            : x,
      ),
      initContainerStatuses: [
        {
          name: 'migrate',
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 2m40s restarting failed container=migrate pod=api-7d9f8b6c5-k2x8p_web(${String(p.metadata.uid)})`,
            },
          },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: at, finishedAt: at, containerID: 'containerd://0f3a' } },
          ready: false,
          restartCount: 5,
          image: 'docker.io/library/busybox:1.36',
          imageID: 'docker.io/library/busybox@sha256:0f3a',
          containerID: 'containerd://0f3a',
          started: false,
        },
      ],
      containerStatuses: [
        {
          name: 'app',
          state: { waiting: { reason: 'PodInitializing' } },
          lastState: {},
          ready: false,
          restartCount: 0,
          image: 'nginx:1.27',
          imageID: '',
          started: false,
        },
      ],
    });
    c.api.add('pods', p);
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(
      /^POD-RESTARTS WARNING - 1 pod in CrashLoopBackOff: web\/api-7d9f8b6c5-k2x8p \(1 pod, restarts counted from now on\) \|/,
    );
    expect(r.stdout).toMatch(/web\/api-7d9f8b6c5-k2x8p container migrate: CrashLoopBackOff, 5 restarts, last ended Error \(exit 1\)/);
  });

  it('containers waiting for another reason (ImagePullBackOff, ContainerCreating) are not in CrashLoopBackOff: OK', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    const waiting = (name: string, reason: string) => {
      const p = pod({ namespace: 'web', name, node: 'node1', ip: '10.1.22.40', phase: 'Pending', ready: false });
      Object.assign(p.status.containerStatuses[0]!, { state: { waiting: { reason } }, ready: false, started: false });
      return p;
    };
    c.api.add('pods', waiting('api-7d9f8b6c5-p9x2k', 'ImagePullBackOff'), waiting('api-7d9f8b6c5-c3v8n', 'ContainerCreating'));
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(
      /^POD-RESTARTS OK - 0 pods in CrashLoopBackOff of 2 pods \(restarts counted from now on\) \| restarted=U;;;0;2 crashlooping=0;;;0;2/,
    );
  });

  it('a pod being deleted is not crash-looping now: its kubelet restarts none of its containers, its status is the last one', async () => {
    // Crash-looping on k8s02 when that node went down; the taint manager deleted it 10 minutes ago, and with its
    // kubelet gone it stays Terminating with the status last posted (Ready False, as the node controller marked it).
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    const stuck = pod({
      namespace: 'web',
      name: 'api-7d9f8b6c5-x2k4m',
      node: 'k8s02',
      ip: '10.1.7.12',
      restarts: 14,
      crashLooping: true,
      lastExit: { reason: 'Error', exitCode: 1 },
      deletedAgo: 600,
    });
    stuck.status.conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    } as never);
    c.api.add('pods', stuck);
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(
      /^POD-RESTARTS OK - 0 pods in CrashLoopBackOff of 1 pod \(restarts counted from now on\) \| .* crashlooping=0;;;0;1 /,
    );
  });

  it('a pod in CrashLoopBackOff: at least WARNING, on the first run too', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'mk8s-state-')), 'restarts.json');
    c.api.add(
      'pods',
      pod({
        namespace: 'kube-system',
        name: 'calico-node-cp8hh',
        node: 'node1',
        hostNetwork: true,
        restarts: 31,
        crashLooping: true,
        lastExit: { reason: 'Error', exitCode: 1 },
      }),
    );
    const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
    expect(r.code).toBe(1);
    // The finding once, the pod named, then what the first run cannot judge yet.
    expect(r.first).toMatch(
      /^POD-RESTARTS WARNING - 1 pod in CrashLoopBackOff: kube-system\/calico-node-cp8hh \(1 pod, restarts counted from now on\) \|/,
    );
    expect(r.stdout).toMatch(/kube-system\/calico-node-cp8hh container app: CrashLoopBackOff, 31 restarts, last ended Error \(exit 1\)/);
  });
});
