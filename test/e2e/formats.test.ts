// --format openmetrics and --format junit, for one check and for `microk8s-checks all`, judged by
// the real readers: promtool (Debian's prometheus) checks the exposition and the alert rules,
// xmllint (libxml2-utils) the JUnit XML. The same verdicts as --format json, in other clothes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { certFile } from '../apiserver/certs.ts';
import { job, lease, node } from '../apiserver/objects.ts';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { at, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, makeJournal } from '../helpers/journal.ts';
import { runBuilt } from '../helpers/run.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(existsSync);
const XMLLINT = ['/usr/bin/xmllint'].find(existsSync);
if (!PROMTOOL) console.warn('OpenMetrics tests: need promtool (apt-get install prometheus)');
if (!XMLLINT) console.warn('JUnit tests: need xmllint (apt-get install libxml2-utils)');

/** promtool check metrics on a text: its exit code and what it said (lint problems included). */
function promtool(text: string): { code: number | null; said: string } {
  const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: r.status, said: `${r.stdout}${r.stderr}` };
}

/** xmllint --noout: exit 0 only for well-formed XML. */
function wellFormed(xml: string): { code: number | null; said: string } {
  const r = spawnSync(XMLLINT!, ['--noout', '-'], { input: xml, encoding: 'utf8' });
  return { code: r.status, said: r.stderr };
}

/** An XPath expression's value in a document, by xmllint (the real parser, not a regex). */
function xpath(xml: string, expr: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mk8s-junit-')), 'report.xml');
  writeFileSync(file, xml);
  return execFileSync(XMLLINT!, ['--xpath', expr, file], { encoding: 'utf8' }).replace(/\n$/, '');
}

/** The testcases of a JUnit report: one xmllint run, each testcase's fields joined by a separator. */
function testcases(xml: string): { name: string; kind: string; message: string; text: string }[] {
  const n = Number(xpath(xml, 'count(/testsuites/testsuite/testcase)'));
  const SEP = '@@SEP@@';
  const verdict = '*[self::failure or self::error or self::skipped]';
  const one = (i: number) =>
    `concat(/testsuites/testsuite/testcase[${i}]/@name, '${SEP}', ` +
    `name(/testsuites/testsuite/testcase[${i}]/${verdict}), '${SEP}', ` +
    `/testsuites/testsuite/testcase[${i}]/${verdict}/@message, '${SEP}', ` +
    `/testsuites/testsuite/testcase[${i}]/${verdict}, '${SEP}')`;
  const all = Array.from({ length: n }, (_, i) => one(i + 1)).join(', ');
  const fields = xpath(xml, n > 1 ? `concat(${all})` : one(1)).split(SEP);
  return Array.from({ length: n }, (_, i) => {
    const [name, kind, message, text] = fields.slice(i * 4, i * 4 + 4) as [string, string, string, string];
    return { name, kind, message, text };
  });
}

interface Row {
  check: string;
  state: string;
  code: number | null;
  summary: string;
  details: string[];
}

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const kc = () => ['--kubeconfig', c.kubeconfig];

const healthy = () => {
  addHealthyCluster(c.api);
  return makeJournal([{ age: 30, service: DQLITE, message: 'Serving dqlite on 10.0.0.12:19001' }]);
};

/** A lock storm: 60 lock lines in 5 minutes, a node NotReady, 300 finished Jobs, an expired lease. */
const storming = () => {
  c.api.add(
    'nodes',
    node({ name: 'k8s01', ip: '10.0.0.11' }),
    node({ name: 'k8s02', ip: '10.0.0.12' }),
    node({ name: 'k8s03', ip: '10.0.0.13', ready: false }),
  );
  c.api.add('leases', lease('kube-controller-manager', 'k8s01', { renewedAgo: 300 }), lease('kube-scheduler', 'k8s03'));
  c.api.add(
    'jobs',
    ...Array.from({ length: 300 }, (_, i) => job({ namespace: 'ops', name: `backup-${i}`, state: 'complete', finishedAgo: 7200 })),
  );
  return makeJournal(
    Array.from({ length: 60 }, (_, i) => ({ age: 5 + i * 4, service: DQLITE, message: logrus(at(5 + i * 4), 'error', LOCK_TXN) })),
  );
};

// A duration in words drops its zero parts ("5m", a second later "5m1s"): one figure either way.
const figureless = (text: string) => text.replace(/\b(\d+[dhms])+\b/g, 'N').replace(/\d+(\.\d+)?/g, 'N');

/** A node's certificate directory, made by openssl once: so that `all` runs check_certs, as on every control-plane node. */
let certs: string | undefined;
const certDir = () => {
  if (!certs) {
    certs = mkdtempSync(join(tmpdir(), 'mk8s-certdir-'));
    certFile(certs, 'ca.crt', 3650, '10.152.183.1');
    certFile(certs, 'server.crt', 365, '127.0.0.1');
    certFile(certs, 'front-proxy-client.crt', 365, 'front-proxy-client');
  }
  return certs;
};

const all = async (journal: string, format: string) =>
  runBuilt('microk8s-checks', ['all', ...kc(), '--node', 'k8s02', '--journal-file', journal, '--cert-dir', certDir(), '--format', format]);

/** The samples of an exposition: name{labels} -> value. */
const samples = (text: string) =>
  new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const i = l.lastIndexOf(' ');
        return [l.slice(0, i), Number(l.slice(i + 1))] as const;
      }),
  );

describe.skipIf(!PROMTOOL || !haveJournalRemote)('--format openmetrics', { timeout: 90_000 }, () => {
  for (const [name, setup] of [
    ['a healthy', healthy],
    ['a storming', storming],
  ] as const) {
    it(`all: valid for promtool check metrics on ${name} cluster, with each check's state and --format json's exit code`, async () => {
      const journal = setup();
      const json = await all(journal, 'json');
      const om = await all(journal, 'openmetrics');
      const lint = promtool(om.stdout);
      expect(lint.code, `${lint.said}\n${om.stdout}`).toBe(0);
      expect(lint.said).toBe('');
      expect(om.stdout.endsWith('# EOF\n')).toBe(true);
      const values = samples(om.stdout);
      const rows = JSON.parse(json.stdout) as Row[];
      // check_certs runs (it has a certificate directory): its days are no lint problem either.
      expect(rows.find((r) => r.check === 'CERTS')?.code, json.stdout).not.toBeNull();
      const states = new Map<string, number>();
      for (const [series, value] of values) {
        const m = /^microk8s_check_state\{check="([^"]+)"\}$/.exec(series);
        if (m) states.set(m[1]!, value);
      }
      // Every check that ran has a state, every other one is skipped, as in --format json.
      expect([...states.keys()].sort()).toEqual(
        rows
          .filter((r) => r.code !== null)
          .map((r) => r.check.toLowerCase())
          .sort(),
      );
      for (const row of rows.filter((r) => r.code === null))
        expect(values.get(`microk8s_check_skipped{check="${row.check.toLowerCase()}"}`)).toBe(1);
      // The exit code is the worst of the states (CRITICAL outranks UNKNOWN).
      const worst = [2, 3, 1, 0].find((code) => [...states.values()].includes(code));
      expect(om.code).toBe(worst);
      // Why each check is not OK, the line Nagios would show, on stderr: one line each, no other.
      const NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
      const said = om.stderr
        .split('\n')
        .filter(Boolean)
        .map((line) => /^(\S+) (WARNING|CRITICAL|UNKNOWN) - \S/.exec(line) ?? line);
      expect(said.map((m) => (typeof m === 'string' ? m : `${m[1]!.toLowerCase()} ${m[2]}`)).sort()).toEqual(
        [...states]
          .filter(([, code]) => code !== 0)
          .map(([check, code]) => `${check} ${NAMES[code]}`)
          .sort(),
      );
      // Two runs a moment apart: the checks whose state no clock or load can move must agree.
      for (const check of ['DQLITE-LOCK', 'NODES', 'STALE-JOBS', 'LEASES'])
        expect(states.get(check.toLowerCase()), check).toBe(rows.find((r) => r.check === check)!.code);
    });
  }

  it('perfdata as gauges named by check and label, in base units, with thresholds as their own series', async () => {
    const journal = storming();
    const om = await all(journal, 'openmetrics');
    const values = samples(om.stdout);
    // DQLITE-LOCK's locked=60;5;50;0: 60 lines, warning outside 0..5, critical outside 0..50.
    expect(values.get('microk8s_dqlite_lock_locked')).toBe(60);
    expect(values.get('microk8s_dqlite_lock_locked_threshold{level="warning",bound="high",alert="outside"}')).toBe(5);
    expect(values.get('microk8s_dqlite_lock_locked_threshold{level="critical",bound="high",alert="outside"}')).toBe(50);
    expect(values.get('microk8s_stale_jobs_stale')).toBe(300);
    expect(values.get('microk8s_nodes_not_ready')).toBe(1);
    // Seconds keep their unit in the name (and the # UNIT line); a lease renewed 300 s ago.
    expect(om.stdout).toMatch(/^# TYPE microk8s_leases_renew_age_seconds gauge$/m);
    expect(om.stdout).toMatch(/^# UNIT microk8s_leases_renew_age_seconds seconds$/m);
    expect(values.get('microk8s_leases_renew_age_seconds')).toBeGreaterThanOrEqual(300);
  });

  it('one check: its state and perfdata, valid for promtool; a usage error is its UNKNOWN state, in the same format', async () => {
    const journal = storming();
    const r = await runBuilt('check_dqlite_lock', ['--journal-file', journal, '--format', 'openmetrics']);
    expect(r.code).toBe(2);
    expect(promtool(r.stdout)).toEqual({ code: 0, said: '' });
    expect(samples(r.stdout).get('microk8s_check_state{check="dqlite-lock"}')).toBe(2);
    const bad = await runBuilt('check_dqlite_lock', ['--bogus', '--format=openmetrics']);
    expect(bad.code).toBe(3);
    expect(promtool(bad.stdout)).toEqual({ code: 0, said: '' });
    expect(samples(bad.stdout).get('microk8s_check_state{check="dqlite-lock"}')).toBe(3);
  });

  it('one check on several API servers: one family per metric, the server as a host label; perfdata keeps its suffix', async () => {
    addHealthyCluster(c.api);
    const other = `localhost:${c.api.port}`;
    const r = await runBuilt('check_apiserver', [...kc(), '--server', `https://${other}`, '--format', 'openmetrics']);
    expect(r.code, r.stdout).toBe(0);
    expect(promtool(r.stdout), r.stdout).toEqual({ code: 0, said: '' });
    const values = samples(r.stdout);
    for (const host of [`127.0.0.1:${c.api.port}`, other]) {
      expect(values.get(`microk8s_apiserver_readyz_time_seconds{host="${host}"}`), host).toBeGreaterThan(0);
      expect(values.get(`microk8s_apiserver_failed_checks{host="${host}"}`), host).toBe(0);
      const high = `microk8s_apiserver_readyz_time_threshold_seconds{host="${host}",level="warning",bound="high",alert="outside"}`;
      expect(values.get(high), host).toBe(1);
    }
    // Before, each server was a family of its own (microk8s_apiserver_readyz_time_127_0_0_1_<port>_seconds).
    expect(r.stdout.match(/^# TYPE microk8s_apiserver_readyz_time_seconds gauge$/gm)).toHaveLength(1);
    expect(r.stdout).not.toMatch(/^microk8s_apiserver_\w*(127_0_0_1|localhost)/m);
    const nagios = await runBuilt('check_apiserver', [...kc(), '--server', `https://${other}`]);
    expect(nagios.first).toMatch(new RegExp(`\\| readyz_time_127\\.0\\.0\\.1:${c.api.port}=[\\d.]+s;1;5;0 failed_checks_127`));
    const json = JSON.parse((await runBuilt('check_apiserver', [...kc(), '--server', `https://${other}`, '--format', 'json'])).stdout);
    expect(json.metrics.map((m: { label: string }) => m.label)).toContain(`readyz_time_${other}`);
  });

  // OpenMetrics has no place for free text: the reason of a check not OK, the line Nagios would
  // show, goes to stderr (a person at the terminal, the journal of a textfile collector's timer).
  it('one check: why it is not OK on stderr, one line, its output still valid for promtool', async () => {
    const gone = await runBuilt('check_nodes', ['--kubeconfig', '/nonexistent/kubeconfig', '--format', 'openmetrics']);
    expect(gone.code).toBe(3);
    expect(promtool(gone.stdout)).toEqual({ code: 0, said: '' });
    expect(gone.stderr).toMatch(/^NODES UNKNOWN - \S.*\/nonexistent\/kubeconfig[^\n]*\n$/);
    const bad = await runBuilt('check_dqlite_lock', ['--bogus', '--format=openmetrics']);
    expect(bad.stderr).toBe('DQLITE-LOCK UNKNOWN - Unknown argument: bogus (fix: see check_dqlite_lock --help)\n');
    const storm = await runBuilt('check_dqlite_lock', ['--journal-file', storming(), '--format', 'openmetrics']);
    expect(storm.stderr).toMatch(/^DQLITE-LOCK CRITICAL - [^\n]+\n$/);
    // OK says nothing there: a textfile collector's journal holds only what needs a look.
    const calm = makeJournal([{ age: 30, service: DQLITE, message: 'Serving dqlite on 10.0.0.12:19001' }]);
    const ok = await runBuilt('check_dqlite_lock', ['--journal-file', calm, '--format', 'openmetrics']);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
  });

  // Its first line names the host that is not OK, not why (that is in the long output, which
  // OpenMetrics has no room for either): each such host's own line follows it there.
  it('one check on several servers: why each one is not OK, on stderr after the check line', async () => {
    addHealthyCluster(c.api);
    const r = await runBuilt('check_apiserver', [...kc(), '--server', 'https://127.0.0.1:1', '--format', 'openmetrics']);
    expect(r.code).toBe(3);
    expect(promtool(r.stdout)).toEqual({ code: 0, said: '' });
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('APISERVER UNKNOWN - 2 hosts: 1 OK, 1 UNKNOWN (UNKNOWN: 127.0.0.1:1)');
    expect(lines[1]).toMatch(/^ {2}127\.0\.0\.1:1: UNKNOWN - API server https:\/\/127\.0\.0\.1:1 unreachable: \S/);
    expect(lines.slice(2)).toEqual(['']);
  });

  it("a host's name with a line break in it (a --host value) stays on its line on stderr, as in the long output", async () => {
    const r = await runBuilt('check_dqlite_lock', [
      '--host',
      'k8s01',
      '--host',
      'k8s02\nDQLITE-LOCK OK - forged',
      '--format',
      'openmetrics',
    ]);
    expect(r.code).toBe(3);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('DQLITE-LOCK UNKNOWN - 2 hosts: 2 UNKNOWN (UNKNOWN: k8s01, k8s02 DQLITE-LOCK OK - forged)');
    expect(lines[2]).toMatch(/^ {2}k8s02 DQLITE-LOCK OK - forged: UNKNOWN - invalid host /);
    expect(lines.slice(3)).toEqual(['']);
  });

  it('--format json and junit carry the reason themselves: nothing on stderr; json keeps the text as it was', async () => {
    const kubeconfig = '/nonexistent/a|b/kubeconfig';
    const json = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig, '--format', 'json']);
    expect([json.code, json.stderr]).toEqual([3, '']);
    expect(JSON.parse(json.stdout).summary).toContain(kubeconfig);
    const junit = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig, '--format', 'junit']);
    expect([junit.code, junit.stderr]).toEqual([3, '']);
    // Nagios' first line has no '|' but the one before perfdata.
    const nagios = await runBuilt('check_nodes', ['--kubeconfig', kubeconfig]);
    expect(nagios.first).toContain('/nonexistent/a\u00a6b/kubeconfig');
  });

  it('check_certs alone: its days as seconds, valid for promtool with no lint problem', async () => {
    addHealthyCluster(c.api);
    const r = await runBuilt('check_certs', [...kc(), '--cert-dir', certDir(), '--format', 'openmetrics']);
    expect(promtool(r.stdout), r.stdout).toEqual({ code: 0, said: '' });
    const values = samples(r.stdout);
    // The test API server's certificate is made for 2 days: CRITICAL, below 7 days.
    expect(values.get('microk8s_check_state{check="certs"}')).toBe(2);
    expect(values.get('microk8s_certs_min_seconds')).toBe(86_400);
    expect(values.get('microk8s_certs_min_threshold_seconds{level="critical",bound="low",alert="outside"}')).toBe(7 * 86_400);
    expect(values.get('microk8s_certs_ca_seconds')).toBe(3649 * 86_400);
    expect(r.stdout).toMatch(/^# UNIT microk8s_certs_min_seconds seconds$/m);
  });

  it("all: a usage error is microk8s-checks' own UNKNOWN state, still valid for promtool", async () => {
    const r = await runBuilt('microk8s-checks', ['all', '--bogus', '--format', 'openmetrics']);
    expect(r.code).toBe(3);
    expect(promtool(r.stdout)).toEqual({ code: 0, said: '' });
    expect(samples(r.stdout).get('microk8s_check_state{check="microk8s-checks"}')).toBe(3);
    expect(r.stderr).toBe('MICROK8S-CHECKS UNKNOWN - Unknown argument: bogus (fix: see microk8s-checks --help)\n');
    // No check applies (no kubeconfig, no node): the samples say only "skipped"; why the run is UNKNOWN goes beside them.
    const { KUBECONFIG: _, ...env } = process.env;
    const home = mkdtempSync(join(tmpdir(), 'mk8s-home-'));
    const none = await runBuilt('microk8s-checks', ['all', '--snap-data', '/nonexistent', '--format', 'openmetrics'], {
      env: { ...env, HOME: home },
    });
    expect(none.code).toBe(3);
    expect(promtool(none.stdout)).toEqual({ code: 0, said: '' });
    expect(samples(none.stdout).get('microk8s_check_state{check="microk8s-checks"}')).toBe(3);
    expect(none.stderr).toBe('MICROK8S-CHECKS UNKNOWN - no check applies on this host\n');
    // JSON says it as a row of its own, beside the skipped ones (it said only "skipped", exit 3).
    const json = await runBuilt('microk8s-checks', ['all', '--snap-data', '/nonexistent', '--format', 'json'], {
      env: { ...env, HOME: home },
    });
    expect(json.code).toBe(3);
    expect((JSON.parse(json.stdout) as Row[]).filter((r) => r.state !== 'SKIPPED')).toEqual([
      { check: 'MICROK8S-CHECKS', state: 'UNKNOWN', code: 3, summary: 'no check applies on this host', metrics: [], details: [] },
    ]);
  });

  it('the alert rules pass promtool check rules, and their unit tests fire on the states', () => {
    const rules = join(ROOT, 'prometheus/microk8s-checks.rules.yml');
    const check = spawnSync(PROMTOOL!, ['check', 'rules', rules], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const test = spawnSync(PROMTOOL!, ['test', 'rules', join(ROOT, 'prometheus/microk8s-checks.rules.test.yml')], {
      encoding: 'utf8',
      cwd: join(ROOT, 'prometheus'),
    });
    expect(test.status, `${test.stdout}${test.stderr}`).toBe(0);
  });
});

describe.skipIf(!XMLLINT || !haveJournalRemote)('--format junit', { timeout: 90_000 }, () => {
  it('all: well-formed, a testcase per check; failure for WARNING and CRITICAL, error for UNKNOWN, skipped if not applying', async () => {
    const journal = storming();
    const json = await all(journal, 'json');
    const xml = await all(journal, 'junit');
    expect(xml.code).toBe(json.code);
    expect(wellFormed(xml.stdout)).toEqual({ code: 0, said: '' });
    const rows = JSON.parse(json.stdout) as Row[];
    const cases = testcases(xml.stdout);
    expect(cases.map((t) => t.name).sort()).toEqual(rows.map((r) => r.check).sort());
    const kinds: Record<string, string> = { OK: '', WARNING: 'failure', CRITICAL: 'failure', UNKNOWN: 'error', SKIPPED: 'skipped' };
    // The element matches the state the report's own message names.
    for (const t of cases.filter((x) => x.kind === 'failure' || x.kind === 'error'))
      expect(kinds[/^\S+ (\w+) - /.exec(t.message)?.[1] ?? ''], t.name).toBe(t.kind);
    // Two runs a moment apart: where a loaded machine cannot move the state, the JSON run's verdict
    // is the report's, with the figures the clock moves (ages, "in the last minute") masked.
    const steady = ['DQLITE-LOCK', 'NODES', 'STALE-JOBS', 'LEASES', 'KINE-RETRIES'];
    for (const row of rows) {
      const t = cases.find((x) => x.name === row.check)!;
      if (row.state === 'SKIPPED') expect(t).toMatchObject({ kind: 'skipped', message: row.summary });
      if (!steady.includes(row.check)) continue;
      expect(t.kind, row.check).toBe(kinds[row.state]);
      if (t.kind === 'failure' || t.kind === 'error') {
        expect(figureless(t.message)).toBe(figureless(`${row.check} ${row.state} - ${row.summary}`));
        expect(figureless(t.text)).toBe(figureless(row.details.join('\n')));
      }
    }
    // The storm is there to be seen: at least the lock check and the nodes fail.
    expect(cases.find((t) => t.name === 'DQLITE-LOCK')!.kind).toBe('failure');
    expect(cases.find((t) => t.name === 'NODES')!.kind).toBe('failure');
    const count = (attr: string) => Number(xpath(xml.stdout, `string(/testsuites/testsuite/@${attr})`));
    expect(count('tests')).toBe(rows.length);
    expect(count('failures')).toBe(cases.filter((t) => t.kind === 'failure').length);
    expect(count('errors')).toBe(cases.filter((t) => t.kind === 'error').length);
    expect(count('skipped')).toBe(cases.filter((t) => t.kind === 'skipped').length);
  });

  it('all: a usage error is one testcase in error, saying what was wrong', async () => {
    const r = await runBuilt('microk8s-checks', ['all', '--bogus', '--format=junit']);
    expect(r.code).toBe(3);
    expect(wellFormed(r.stdout)).toEqual({ code: 0, said: '' });
    expect(testcases(r.stdout)).toMatchObject([
      { name: 'MICROK8S-CHECKS', kind: 'error', message: expect.stringMatching(/Unknown argument: bogus/) },
    ]);
  });

  it('one check: one testcase; control characters from a log line cannot break the XML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-junit-'));
    const log = join(dir, 'kine.log');
    const stamp = at(20);
    const month = stamp.toLocaleString('en-US', { month: 'short' });
    const prefix =
      `${month} ${String(stamp.getDate()).padStart(2, '0')} ${stamp.toTimeString().slice(0, 8)} ` +
      `k8s02 microk8s.daemon-k8s-dqlite[739]:`;
    writeFileSync(log, `${prefix} ${logrus(stamp, 'error', `${LOCK_TXN} \u0001\u001b[31m <&> ]]>`)}\n`);
    const r = await runBuilt('check_dqlite_lock', ['--log-file', log, '-w', '0', '--format', 'junit']);
    expect(r.code).toBe(1);
    expect(wellFormed(r.stdout)).toEqual({ code: 0, said: '' });
    const [t, ...more] = testcases(r.stdout);
    expect(more).toEqual([]);
    expect(t).toMatchObject({ name: 'DQLITE-LOCK', kind: 'failure' });
    // The file begins inside the window: the span it holds is named.
    expect(t!.message).toMatch(
      /^DQLITE-LOCK WARNING - 1 'database is locked' line in the last 2\ds \(\S+kine\.log begins inside the 5m window, /,
    );
    expect(t!.text).toContain('<&> ]]>');
  });
});
