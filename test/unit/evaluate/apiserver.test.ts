// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as apiserver from '../../../checks/apiserver.ts';
import { State } from '../../../lib/plugin/state.ts';
import { perf, r } from './helpers.ts';

describe('apiserver', () => {
  const answer = (status: number, text: string) => ({ status, text, contentType: 'text/plain; charset=utf-8', ms: 12 });
  const report = (endpoint: string, lines: string[], passed = true) =>
    `${lines.join('\n')}\n${endpoint} check ${passed ? 'passed' : 'failed'}\n`;

  it('reads the verbose report; anything else is no report', () => {
    expect(apiserver.parseHealth('readyz', report('readyz', ['[+]ping ok', '[-]etcd failed: reason withheld'], false))).toEqual({
      passed: false,
      checks: 2,
      failed: [{ name: 'etcd', why: 'failed: reason withheld' }],
    });
    expect(apiserver.parseHealth('readyz', 'ok')).toBeUndefined();
    expect(apiserver.parseHealth('livez', report('readyz', ['[+]ping ok']))).toBeUndefined();
  });

  it('a failing sub-check is CRITICAL; a slow readyz is judged by -w/-c; 403 is UNKNOWN with the RBAC fix', () => {
    const ok = answer(200, report('readyz', ['[+]ping ok']));
    const live = answer(200, report('livez', ['[+]ping ok']));
    const slow = apiserver.evaluate({ server: 's', readyz: { ...ok, ms: 2500 }, livez: live }, { warning: r('1'), critical: r('5') });
    // Said on the first line, not "ready and live" above a WARNING.
    expect([slow.state, slow.summary]).toEqual([State.WARNING, 'readyz slow (readyz 2.500s)']);
    const down = apiserver.evaluate(
      { server: 's', readyz: answer(500, report('readyz', ['[-]etcd failed: reason withheld'], false)), livez: live },
      { warning: r('1'), critical: r('5') },
    );
    expect([down.state, down.summary]).toEqual([State.CRITICAL, 'not ready: [-]etcd failed: reason withheld (readyz 0.012s)']);
    // A [-] line is a failed sub-check even in a 200 that says "passed" (a proxy rewriting the status).
    const contradicted = apiserver.evaluate(
      { server: 's', readyz: answer(200, report('readyz', ['[+]ping ok', '[-]etcd failed: reason withheld'])), livez: live },
      { warning: r('1'), critical: r('5') },
    );
    expect([contradicted.state, contradicted.summary]).toEqual([
      State.CRITICAL,
      'not ready: [-]etcd failed: reason withheld (readyz 0.012s)',
    ]);
    // As kube-apiserver refuses a non-resource URL: a Status object, said once as forbidden, not also as no health report.
    const status = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'forbidden: User "system:serviceaccount:monitoring:nagios" cannot get path "/readyz"',
      reason: 'Forbidden',
      details: {},
      code: 403,
    });
    const forbidden = apiserver.evaluate({ server: 's', readyz: answer(403, status), livez: live }, { warning: r('1'), critical: r('5') });
    expect(forbidden.state).toBe(State.UNKNOWN);
    expect(forbidden.summary).toMatch(
      /^\/readyz: forbidden \(403\) \(fix: allow get on the non-resource URLs \/readyz and \/livez, as .*nrpe\/rbac\.yaml/,
    );
    expect(forbidden.summary).not.toContain('not a health report');
  });

  // Any one of the three says not ready (docs/checks/apiserver.md): the status, the last line, a [-] line.
  it('a status other than 200, or a last line "check failed", is CRITICAL on its own, with no [-] line', () => {
    const live = answer(200, report('livez', ['[+]ping ok']));
    const limits = { warning: r('1'), critical: r('5') };
    const status = apiserver.evaluate({ server: 's', readyz: answer(503, report('readyz', ['[+]ping ok'])), livez: live }, limits);
    expect([status.state, status.summary]).toEqual([State.CRITICAL, 'not ready: HTTP 503 (readyz 0.012s)']);
    const last = apiserver.evaluate({ server: 's', readyz: answer(200, report('readyz', ['[+]ping ok'], false)), livez: live }, limits);
    expect([last.state, last.summary]).toEqual([State.CRITICAL, 'not ready: HTTP 200 (readyz 0.012s)']);
  });

  it('a /livez that is no health report: UNKNOWN, readyz still timed, and no failed_checks that would count only readyz', () => {
    const ok = answer(200, report('readyz', ['[+]ping ok']));
    const page = { status: 200, text: '<html><body>Sign in</body></html>', contentType: 'text/html', ms: 30 };
    const o = apiserver.evaluate({ server: 's', readyz: ok, livez: page }, { warning: r('1'), critical: r('5') });
    expect([o.state, o.summary]).toEqual([
      State.UNKNOWN,
      '/livez answered 200 with 33 bytes of text/html, not a health report (readyz 0.012s)',
    ]);
    expect(perf(o)).toEqual({ readyz_time: '0.012s;1;5;0' });
  });

  it('etcd failing in /readyz alone (livez still passing) points at kine on k8s-dqlite', () => {
    const readyz = answer(
      500,
      report(
        'readyz',
        ['[+]ping ok', '[+]log ok', '[-]etcd failed: reason withheld', '[+]informer-sync ok', '[+]poststarthook/start-informers ok'],
        false,
      ),
    );
    const livez = answer(200, report('livez', ['[+]ping ok', '[+]log ok', '[+]poststarthook/start-informers ok']));
    const o = apiserver.evaluate({ server: 's', readyz, livez }, { warning: r('1'), critical: r('5') });
    expect([o.state, o.summary]).toEqual([State.CRITICAL, 'not ready: [-]etcd failed: reason withheld (readyz 0.012s)']);
    expect(o.details.join('\n')).toMatch(/^etcd here is kine on k8s-dqlite: see check_dqlite \(quorum, leader\), check_services /m);
  });

  it('in a shared run, a readyz that outlasted the head start says how long the process was held up meanwhile', () => {
    const ok = answer(200, report('readyz', ['[+]ping ok']));
    const live = answer(200, report('livez', ['[+]ping ok']));
    const limits = { warning: r('1'), critical: r('5') };
    const held = apiserver.evaluate({ server: 's', readyz: { ...ok, ms: 1200 }, livez: live, busyMs: 380 }, limits);
    expect(held.state).toBe(State.WARNING);
    expect(held.details.join('\n')).toMatch(/this process was held up for up to 380 ms meanwhile \(their work, or waiting for a CPU\)/);
    for (const busyMs of [undefined, 20])
      expect(apiserver.evaluate({ server: 's', readyz: ok, livez: live, busyMs }, limits).details.join('\n')).not.toMatch(/held up/);
  });
});
