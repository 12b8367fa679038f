// Trust, round two (issue 27 items 3, 5-8): a slow target hides no other target's CRITICAL, the
// quorum read's 504/429 are judged by who said them, no secret reaches the output, no process
// outlives a run, and option mistakes are usage errors that say what is expected.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certFile, writeKubeconfig } from '../apiserver/certs.ts';
import { node, nodeLease } from '../apiserver/objects.ts';
import { tooManyRequests } from '../apiserver/server.ts';
import { useCluster, type TestCluster } from '../helpers/cluster.ts';
import { DIST, inTime, runBuilt } from '../helpers/run.ts';
import { pattern } from '../helpers/pattern.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
});
const kc = () => ['--kubeconfig', c.kubeconfig];
const scratch = () => mkdtempSync(join(tmpdir(), 'mk8s-trust2-'));

/** Processes whose command line holds this text, other than the pgrep itself. */
function running(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** An API server that accepts the connection and never says a word (not even TLS): a stalled node. */
let stall: Server;
let stallUrl: string;
const held: Socket[] = [];
beforeAll(async () => {
  stall = createServer((socket) => held.push(socket));
  await new Promise<void>((done) => stall.listen(0, '127.0.0.1', done));
  stallUrl = `https://127.0.0.1:${(stall.address() as { port: number }).port}`;
});
afterAll(() => {
  for (const s of held) s.destroy();
  stall.close();
});
const stallHost = () => new URL(stallUrl).host;

const NODES = ['k8s01', 'k8s02', 'k8s03'];
const renewAll = (renewedAgo = (i: number) => 2 + i * 3) => {
  c.api.clear('leases');
  c.api.add('leases', ...NODES.map((n, i) => nodeLease(n, { renewedAgo: renewedAgo(i) })));
};
const freezeFiveMinutesAgo = () => {
  renewAll((i) => 300 + i * 3);
  c.api.freezeCache();
  renewAll();
};

describe('a slow target hides no other target', () => {
  it("check_watch_cache: one server's CRITICAL stands beside a stalled --server, which is UNKNOWN by name", async () => {
    freezeFiveMinutesAgo();
    const r = await runBuilt('check_watch_cache', [...kc(), '--server', stallUrl, '-t', '4']);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(
      new RegExp(`^WATCH-CACHE CRITICAL - 2 hosts: 1 CRITICAL, 1 UNKNOWN \\(CRITICAL: 127\\.0\\.0\\.1:${c.api.port}\\)`),
    );
    expect(r.stdout).toContain(`${stallHost()}: UNKNOWN - timed out after `);
    expect(r.stdout).toContain(`while reading node leases from ${stallUrl}`);
    expect(r.perf[`cache_lag_127.0.0.1:${c.api.port}`]).toMatch(/^2\d\d(\.\d+)?s;30;120;0$/);
    inTime(r, 4);
  });

  it('check_apiserver: a failing etcd is CRITICAL though another server stalls', async () => {
    c.api.failingChecks.set('etcd', 'reason withheld');
    const r = await runBuilt('check_apiserver', [...kc(), '--server', stallUrl, '-t', '4']);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/^APISERVER CRITICAL - 2 hosts: 1 CRITICAL, 1 UNKNOWN/);
    expect(r.stdout).toMatch(new RegExp(`${stallHost()}: UNKNOWN - timed out after [\\d.]+s while asking ${stallUrl} for /readyz`));
    inTime(r, 4);
  });

  it('all: a check waiting for the API says which server it waited for, never "while loading the check"', async () => {
    const config = writeKubeconfig(scratch(), stallUrl, c.certs.ca, 'token-of-nobody-0000000000000000');
    const r = await runBuilt('microk8s-checks', ['all', '--kubeconfig', config, '-t', '4', '--format', 'json']);
    expect(r.code).toBe(3);
    const rows = JSON.parse(r.stdout) as { check: string; state: string; summary: string }[];
    const waited = rows.filter((x) => x.state === 'UNKNOWN' && /timed out/.test(x.summary));
    expect(waited.map((x) => x.check)).toEqual(expect.arrayContaining(['NODES', 'APISERVER', 'WATCH-CACHE']));
    for (const x of waited) {
      expect(x.summary, x.check).not.toContain('loading the check');
      expect(x.summary, x.check).toMatch(/while .*127\.0\.0\.1:\d+/);
    }
    inTime(r, 4);
  });

  it('check_certs judges the files when the kubeconfig cannot be read; the kubeconfig is an UNKNOWN part', async () => {
    const dir = scratch();
    certFile(dir, 'server.crt', 3);
    certFile(dir, 'ca.crt', 3650);
    const r = await runBuilt('check_certs', ['--cert-dir', dir, '--kubeconfig', join(dir, 'missing-kubeconfig')]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(new RegExp(`^CERTS CRITICAL - ${dir}/server\\.crt expires in [23] days, kubeconfig: `));
    expect(r.perf.min_days).toMatch(/^[23];30:;7:$/);
  });

  it('check_certs: a stalled --server is UNKNOWN by name; the files are still judged', async () => {
    const dir = scratch();
    certFile(dir, 'server.crt', 3);
    const r = await runBuilt('check_certs', ['--cert-dir', dir, ...kc(), '--server', stallUrl, '-t', '4']);
    expect(r.code).toBe(2);
    expect(r.first).toContain('server.crt expires in');
    expect(r.first).toContain(`served by ${stallHost()}: timed out after `);
    inTime(r, 4);
  });
});

describe("the quorum read's 504 and 429 are judged by who said them", () => {
  const answer = (status: number, type: string, text: string) => (_req: unknown, res: import('node:http').ServerResponse, url: URL) => {
    if (!url.pathname.endsWith('/leases') || url.searchParams.get('resourceVersion') === '0') return false;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  };

  it("a proxy's HTML 504 is UNKNOWN naming the status and that it is not kube-apiserver's", async () => {
    freezeFiveMinutesAgo();
    c.api.intercept = answer(504, 'text/html', '<html><body><h1>504 Gateway Time-out</h1></body></html>');
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /^WATCH-CACHE UNKNOWN - 127\.0\.0\.1:\d+: https:\/\/127\.0\.0\.1:\d+ answered the quorum /,
        /read of node leases with 504 \(\d+ bytes of text\/html, not kube-apiserver's Status/,
      ),
    );
    expect(r.first).not.toContain('cache behind');
  });

  it("kube-apiserver's own 429 (APF: plain text) is UNKNOWN naming it; 'storage is (re)initializing' is cache lag", async () => {
    freezeFiveMinutesAgo();
    c.api.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/leases') || url.searchParams.get('resourceVersion') === '0') return false;
      tooManyRequests(res, 1);
      return true;
    };
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      pattern(
        /answered the quorum read of node leases with 429 \(kube-apiserver's API Priority and Fairness: /,
        /Too many requests, please try again later\.\): that does not say whether /,
        /the watch cache is behind/,
      ),
    );
    expect(r.first).not.toContain('proxy');
    c.api.intercept = undefined;
    c.api.cache.consistentReads = '429';
    const behind = await runBuilt('check_watch_cache', kc());
    expect(behind.code).toBe(2);
    expect(behind.first).toContain('because its watch cache is behind (429: storage is (re)initializing)');
  });

  it("a 504 Timeout without kube-apiserver's ResourceVersionTooLarge is not the cache either", async () => {
    freezeFiveMinutesAgo();
    const timeout = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Timeout: request did not complete within the allotted timeout',
      reason: 'Timeout',
      code: 504,
    });
    c.api.intercept = answer(504, 'application/json', timeout);
    const r = await runBuilt('check_watch_cache', kc());
    expect(r.code).toBe(3);
    c.api.intercept = undefined;
    c.api.cache.consistentReads = '504';
    const behind = await runBuilt('check_watch_cache', kc());
    expect(behind.code).toBe(2);
    expect(behind.first).toMatch(/because its watch cache is behind \(504: Timeout: Too large resource version: \d+, current: \d+\)/);
  });
});

describe('no secret reaches the output', () => {
  const MARK = 'SECRET-MARK-7f3a';
  const TOKEN = 'TOKEN-MARK-91c2';
  const kubeconfigChecks = () => readdirSync(DIST).filter((f) => f.startsWith('check_'));

  it('a kubeconfig that is not valid YAML is said by line and key, through every check and all', { timeout: 120_000 }, async () => {
    const file = join(scratch(), 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nusers:\n- name: nagios\n  user:\n    password: ${MARK}\n   token: ${TOKEN}\n    username: admin\n`,
    );
    const seen: string[] = [];
    const commands = kubeconfigChecks();
    // Four at a time: every check, without the file's time budget going to start-up alone.
    for (let i = 0; i < commands.length; i += 4) {
      const batch = commands.slice(i, i + 4);
      const runs = await Promise.all(batch.map((command) => runBuilt(command, ['--kubeconfig', file, '-t', '3'])));
      runs.forEach((r, j) => {
        expect(r.stdout + r.stderr, batch[j]).not.toContain(MARK);
        expect(r.stdout + r.stderr, batch[j]).not.toContain(TOKEN);
        if (r.stdout.includes('is not valid: bad indentation of a mapping entry at line 7')) seen.push(batch[j]!);
      });
    }
    expect(seen).toEqual(expect.arrayContaining(['check_nodes', 'check_watch_cache', 'check_apiserver', 'check_pod_restarts']));
    const nodes = await runBuilt('check_nodes', ['--kubeconfig', file]);
    expect(nodes.first).toBe(
      `NODES UNKNOWN - kubeconfig ${file} is not valid: bad indentation of a mapping entry at ` +
        `line 7 (key 'token') (fix: check it with kubectl --kubeconfig ${file} config view)`,
    );
    const all = await runBuilt('microk8s-checks', ['all', '--kubeconfig', file, '-t', '3', '--format', 'json']);
    expect(all.stdout + all.stderr).not.toContain(MARK);
    expect(all.stdout + all.stderr).not.toContain(TOKEN);
  });

  it('a user:password@ in the server URL is neither shown nor sent; --server with one is refused without echoing it', async () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }));
    renewAll();
    const dir = scratch();
    const withUserinfo = c.api.url.replace('https://', `https://admin:${MARK}@`);
    const config = writeKubeconfig(dir, withUserinfo, c.certs.ca, readToken(c.kubeconfig), 'kubeconfig-userinfo');
    // Generous limits: readyz_time on a loaded test machine is not what this test is about.
    for (const [command, ...limits] of [['check_nodes'], ['check_watch_cache'], ['check_apiserver', '-w', '30', '-c', '60']]) {
      const r = await runBuilt(command!, ['--kubeconfig', config, ...limits]);
      expect(r.code, `${command}: ${r.first}`).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(MARK);
    }
    expect(c.api.requests.some((q) => q.user === undefined)).toBe(false);
    c.api.delayMs = 10_000;
    const slow = await runBuilt('check_nodes', ['--kubeconfig', config, '-t', '2']);
    expect(slow.code).toBe(3);
    expect(slow.first).toContain(`while listing nodes from ${c.api.url}`);
    expect(slow.stdout + slow.stderr).not.toContain(MARK);
    c.api.delayMs = 0;
    // A query in the address (?access_token=) is no place for a secret either: never shown, even with -vvv.
    const withQuery = writeKubeconfig(dir, `${c.api.url}/?access_token=${MARK}`, c.certs.ca, readToken(c.kubeconfig), 'kubeconfig-query');
    const query = await runBuilt('check_nodes', ['--kubeconfig', withQuery, '-vvv']);
    expect(query.stdout + query.stderr).not.toContain(MARK);
    // Go (kubectl) reads an upper-case scheme as it is meant: so do the checks.
    const upper = writeKubeconfig(dir, c.api.url.replace('https://', 'HTTPS://'), c.certs.ca, readToken(c.kubeconfig), 'kubeconfig-upper');
    expect((await runBuilt('check_nodes', ['--kubeconfig', upper])).first).toMatch(/^NODES OK - /);
    const given = await runBuilt('check_watch_cache', [...kc(), '--server', `https://nagios:${MARK}@127.0.0.1:16443`]);
    expect(given.code).toBe(3);
    expect(given.first).toBe(
      "WATCH-CACHE UNKNOWN - --server 'https://***@127.0.0.1:16443' carries a user name or " +
        "password: give the address only (fix: credentials come from the kubeconfig's user entry)",
    );
  });
});

/** The token line of a test kubeconfig. */
function readToken(file: string): string {
  return /token: (\S+)/.exec(readFileSync(file, 'utf8'))![1]!;
}

describe('no process outlives a run', () => {
  /** A credential plugin that answers at once and leaves a child behind, as a caching helper would. */
  const plugin = (dir: string, leftover: string) => {
    const file = join(dir, 'cred-plugin');
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: readToken(c.kubeconfig) },
    });
    writeFileSync(file, `#!/bin/sh\n${leftover}\necho '${credential}'\n`, { mode: 0o755 });
    return writeKubeconfig(dir, c.api.url, c.certs.ca, { exec: file }, 'kubeconfig-exec');
  };

  it('a background child of an exec credential plugin is killed when the run ends normally, and does not hold the run', async () => {
    c.api.add('nodes', node({ name: 'k8s01', ip: '10.0.0.11' }));
    for (const [how, leftover] of [
      ['detached from the pipes', 'sleep 3%M >/dev/null 2>&1 &'],
      ['holding the pipes', 'sleep 3%M &'],
      // Out of its process group (a daemon's setsid; the plugin answers once it has left): found by what it inherits.
      ['in a session of its own, detached', 'setsid sleep 3%M >/dev/null 2>&1 & sleep 0.2'],
      ['in a session of its own, holding the pipes', 'setsid sleep 3%M & sleep 0.2'],
      ['a daemon of it: forked twice, in a session of its own', '(setsid sh -c "sleep 3%M & :" >/dev/null 2>&1 &); sleep 0.2'],
    ] as const) {
      const marker = `${process.pid}${Date.now() % 100000}`;
      const config = plugin(scratch(), leftover.replace('%M', marker));
      const r = await runBuilt('check_nodes', ['--kubeconfig', config, '-t', '5']);
      expect(r.code, `${how}: ${r.first}`).toBe(0);
      expect(r.first).toMatch(/^NODES OK - /);
      inTime(r, 5);
      await new Promise((done) => setTimeout(done, 300));
      expect(running(`sleep 3${marker}`), how).toEqual([]);
    }
  });
});

describe('option mistakes are usage errors that say what is expected', () => {
  it('a value option given twice names the option; repeatable ones take each value', async () => {
    const twice = await runBuilt('check_dqlite_lock', ['-w', '5', '-w', '6']);
    expect(twice.code).toBe(3);
    expect(twice.first).toBe('DQLITE-LOCK UNKNOWN - -w/--warning was given 2 times: it takes one value (fix: give it once)');
    const files = await runBuilt('check_dqlite_lock', ['--log-file', 'a', '--log-file', 'b']);
    expect(files.first).toBe('DQLITE-LOCK UNKNOWN - --log-file was given 2 times: it takes one value (fix: give it once)');
    const config = await runBuilt('check_nodes', ['--kubeconfig', c.kubeconfig, '--kubeconfig', c.kubeconfig]);
    expect(config.first).toBe('NODES UNKNOWN - --kubeconfig was given 2 times: it takes one value (fix: give it once)');
    for (const r of [twice, files, config]) expect(r.stdout).not.toContain('internal error');
    // --server repeats: not 'given 2 times'. Naming the kubeconfig's server again, it is judged once.
    const server = await runBuilt('check_apiserver', [...kc(), '--server', c.api.url, '--server', c.api.url]);
    expect(server.code).toBe(0);
    expect(server.first).toMatch(/^APISERVER OK - 127\.0\.0\.1:\d+: ready and live/);
  });

  it('inverted thresholds are refused, whichever way is worse', async () => {
    const more = await runBuilt('check_watch_cache', [...kc(), '-w', '30', '-c', '10']);
    expect(more.code).toBe(3);
    expect(more.first).toBe(
      "WATCH-CACHE UNKNOWN - -c '10' is below -w '30': more is worse here, so critical must be the larger (e.g. -w 10 -c 30)",
    );
    const less = await runBuilt('check_certs', ['-w', '7:', '-c', '30:']);
    expect(less.first).toBe(
      "CERTS UNKNOWN - -c '30:' is above -w '7:': less is worse here, so critical must be the smaller (e.g. -w 30: -c 7:)",
    );
    const defaulted = await runBuilt('check_dqlite_lock', ['-w', '60']);
    expect(defaulted.first).toMatch(/^DQLITE-LOCK UNKNOWN - -c '50' \(the default\) is below -w '60'/);
  });

  it("ranges that alert the wrong way round are told the check's own way, never a swap that alerts on health", async () => {
    // check_certs -w 30 -c 7 (check_ssl_cert's way of saying days) was told "more is worse here"
    // and given -w 7 -c 30, which is CRITICAL for every certificate with over 30 days left.
    const days = await runBuilt('check_certs', ['-w', '30', '-c', '7']);
    expect([days.code, days.first]).toEqual([
      3,
      "CERTS UNKNOWN - -w '30' and -c '7' alert above their numbers, but less is worse here: a range ending in ':' " +
        'alerts below its number (e.g. -w 30: -c 7:)',
    ]);
    // One of the two given so (the other its default, `7:` or `30:`): the run alerted on health,
    // `-w 60` WARNING for every certificate with over 60 days left, `-c 14` CRITICAL over 14.
    const warning = await runBuilt('check_certs', ['-w', '60']);
    expect([warning.code, warning.first]).toEqual([
      3,
      "CERTS UNKNOWN - -w '60' alerts above its number, but less is worse here: a range ending in ':' alerts below its number " +
        '(e.g. -w 60:)',
    ]);
    const critical = await runBuilt('check_certs', ['-c', '14']);
    expect([critical.code, critical.first]).toEqual([
      3,
      "CERTS UNKNOWN - -c '14' alerts above its number, but less is worse here: a range ending in ':' alerts below its number " +
        '(e.g. -c 14:)',
    ]);
    // Both so, critical the larger: CRITICAL above 30 days, every healthy certificate.
    const both = await runBuilt('check_certs', ['-w', '7', '-c', '30']);
    expect([both.code, both.first]).toEqual([
      3,
      "CERTS UNKNOWN - -w '7' and -c '30' alert above their numbers, but less is worse here: a range ending in ':' " +
        'alerts below its number, critical the smaller (e.g. -w 30: -c 7:)',
    ]);
    // The other given the check's own way: the plain one is still named.
    const one = await runBuilt('check_certs', ['-w', '60', '-c', '7:']);
    expect(one.first).toBe(
      "CERTS UNKNOWN - -w '60' alerts above its number, but less is worse here: a range ending in ':' alerts below its number " +
        '(e.g. -w 60:)',
    );
    // The same mistake the other way: 'database is locked' lines, where more is worse.
    const locked = await runBuilt('check_dqlite_lock', ['-w', '5:', '-c', '50:']);
    expect([locked.code, locked.first]).toEqual([
      3,
      "DQLITE-LOCK UNKNOWN - -w '5:' and -c '50:' alert below their numbers, but more is worse here: a plain number " +
        'alerts above it (e.g. -w 5 -c 50)',
    ]);
  });

  it('the other pairs of limits are refused inverted too, naming each option and echoing its value', async () => {
    // --newest-pod-warning 30m --newest-pod-critical 15m was taken: WARNING could never be reached.
    const pods = await runBuilt('check_scheduling', [...kc(), '--newest-pod-warning', '30m', '--newest-pod-critical', '15m']);
    expect([pods.code, pods.first]).toEqual([
      3,
      "SCHEDULING UNKNOWN - --newest-pod-critical '15m' is below --newest-pod-warning '30m': longer is worse here, so " +
        'critical must be the longer (e.g. --newest-pod-warning 15m --newest-pod-critical 30m)',
    ]);
    // Said what was wrong without naming either value.
    const free = await runBuilt('check_dqlite_storage', ['--free-warning', '10', '--free-critical', '20']);
    expect([free.code, free.first]).toEqual([
      3,
      "DQLITE-STORAGE UNKNOWN - --free-critical '20' is above --free-warning '10': less free space is worse, so critical " +
        'must be the smaller (e.g. --free-warning 20 --free-critical 10)',
    ]);
    const defaulted = await runBuilt('check_dqlite_storage', ['--free-critical', '30']);
    expect(defaulted.first).toMatch(/^DQLITE-STORAGE UNKNOWN - --free-critical '30' is above --free-warning '20' \(the default\)/);
    const percent = await runBuilt('check_dqlite_storage', ['--free-warning', '120']);
    expect(percent.first).toBe("DQLITE-STORAGE UNKNOWN - --free-warning must be a percentage, 0 to 100, not '120'");
    const negative = await runBuilt('check_dqlite_storage', ['--free-critical=-1']);
    expect(negative.first).toBe("DQLITE-STORAGE UNKNOWN - --free-critical must be a percentage, 0 to 100, not '-1'");
  });

  it('range and duration errors say the unit expected and echo the value', async () => {
    const seconds = await runBuilt('check_watch_cache', [...kc(), '-c', '2m']);
    expect(seconds.code).toBe(3);
    expect(seconds.first).toBe(
      'WATCH-CACHE UNKNOWN - -c/--critical takes a number of seconds or a Nagios range, not ' +
        "'2m' (2m is 120) (examples: 10, 10:, ~:10, 10:20, @10:20)",
    );
    const days = await runBuilt('check_certs', ['-w', '1w']);
    expect(days.first).toMatch(/^CERTS UNKNOWN - -w\/--warning takes a number of days or a Nagios range, not '1w'/);
    // A window below a second was judged and said as "the last 0m".
    const tiny = await runBuilt('check_dqlite_lock', ['--journal-dir', scratch(), '--since', '0.0001s']);
    expect([tiny.code, tiny.first]).toEqual([3, "DQLITE-LOCK UNKNOWN - --since must be at least 1s, not '0.0001s'"]);
    const uptime = await runBuilt('check_services', ['--min-uptime', '2 minutes']);
    expect(uptime.first).toBe(
      "SERVICES UNKNOWN - --min-uptime takes a duration (seconds, or a number with s, m, h or d: 90s, 5m, 1h), not '2 minutes'",
    );
  });

  it('a state file of the wrong shape is damaged, starting over, never an internal error', async () => {
    const state = join(scratch(), 'pod-restarts.json');
    for (const text of ['{"counts":null}', '{"at":1,"counts":{"a":"x"}}', '{"at":"now","counts":{}}']) {
      writeFileSync(state, text);
      const r = await runBuilt('check_pod_restarts', [...kc(), '--state-file', state]);
      expect(r.stdout, text).not.toContain('internal error');
      expect(r.stdout, text).toMatch(/state file \S+ is damaged \(not what this check writes\): starting over/);
      expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ counts: {} });
    }
  });

  it('a cluster.yaml port outside 1-65535 is not an internal error', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'cluster.yaml'), '- ID: 3297041220608546238\n  Address: 127.0.0.1:99999\n  Role: 0\n');
    writeFileSync(join(dir, 'info.yaml'), 'ID: 3297041220608546238\nAddress: 127.0.0.1:99999\nRole: 0\n');
    const r = await runBuilt('check_dqlite', ['--backend-dir', dir, '--dqlite-bin', '/nonexistent/dqlite', '-t', '3']);
    expect(r.stdout).not.toContain('internal error');
    expect(r.code).not.toBe(0);
  });
});
