// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import * as certs from '../../../checks/certs.ts';
import { remedy } from '../../../lib/refresh-certs.ts';
import { State } from '../../../lib/plugin/state.ts';
import { cert, NOW, r, perf } from './helpers.ts';
import { pattern } from '../../helpers/pattern.ts';

const file = (path: string) => ({ kind: 'file', path }) as const;

describe('certs', () => {
  it('the soonest decides, by -w/-c as lower bounds; each certificate is its own metric', () => {
    const o = certs.evaluate(
      { now: NOW, certs: [cert('/c/ca.crt', 3000), cert('/c/server.crt', 20)], unreadable: [] },
      { warning: r('30:'), critical: r('7:') },
    );
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toBe('/c/server.crt expires in 20 days (2 certificates, soonest /c/server.crt in 20 days)');
    expect(perf(o)).toMatchObject({ min_days: '20;30:;7:', days_ca: '3000', days_server: '20' });
    expect(o.details).toContain(
      '  renew: sudo microk8s refresh-certs --cert server.crt (the same CA, restarts kubelite and cluster-agent)',
    );
    // The CA, years away, is listed without a renewal to run.
    expect(o.details.filter((d) => d.startsWith('  renew:'))).toHaveLength(1);
    // refresh-certs restarts kubelite: run on every node at once (server.crt expires alike on all), that is the runbook's
    // compounding restarts. Paced like any kubelite restart.
    expect(o.details).toContain(
      'refresh-certs restarts kubelite: one node at a time, each only when check_restart_preflight --node NODE says GO ' +
        '(restarts in a row flood the single dqlite writer).',
    );
  });

  it('expired is CRITICAL; an unreadable certificate is UNKNOWN beside it, never dropped', () => {
    const o = certs.evaluate(
      {
        now: NOW,
        certs: [cert({ kind: 'served', host: '10.0.0.12:16443' }, -3)],
        unreadable: [{ where: '/c/kubelet.crt', why: 'no such file' }],
      },
      { warning: r('30:'), critical: r('7:') },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^served by 10\.0\.0\.12:16443 expired 3 days ago, \/c\/kubelet\.crt: no such file/);
    expect(perf(o)).toMatchObject({ days_served_10_0_0_12_16443: '-3' });
    expect(o.details).toContain("  renew: it is that node's server.crt: sudo microk8s refresh-certs --cert server.crt on it");
    // The soonest already expired reads so in the summary's tail too: 'in -3 days' is no time.
    const gone = certs.evaluate(
      { now: NOW, certs: [cert('/c/server.crt', -3), cert('/c/ca.crt', 3000)], unreadable: [] },
      {
        warning: r('30:'),
        critical: r('7:'),
      },
    );
    expect(gone.summary).toBe('/c/server.crt expired 3 days ago (2 certificates, soonest /c/server.crt expired 3 days ago)');
    // The API server's certificate expired: the gate cannot reach it (TLS refused), so waiting for its GO never ends.
    const next = gone.details.findIndex((d) => d.startsWith('refresh-certs restarts kubelite: one node at a time'));
    expect(gone.details[next + 1]).toBe(
      "Where the API server's own certificate or its CA has expired, check_restart_preflight cannot reach it and says " +
        'NO-GO: renew on one node, then on the next only once sudo microk8s status --wait-ready answers on the one before.',
    );
    // Not expired yet: the gate can judge, and nothing else is said.
    const soon = certs.evaluate({ now: NOW, certs: [cert('/c/server.crt', 3)], unreadable: [] }, { warning: r('30:'), critical: r('7:') });
    expect(soon.details.some((d) => d.includes('status --wait-ready'))).toBe(false);
  });

  it("a kubeconfig user's client certificate is named by its user, its metric days_client", () => {
    const o = certs.evaluate(
      { now: NOW, certs: [cert({ kind: 'kubeconfig', user: 'nagios' }, 4)], unreadable: [] },
      { warning: r('30:'), critical: r('7:') },
    );
    expect(o.summary).toBe('kubeconfig user nagios expires in 4 days (1 certificate, soonest kubeconfig user nagios in 4 days)');
    expect(perf(o)).toMatchObject({ min_days: '4;30:;7:', days_client: '4' });
    expect(o.details).toContain('  renew: issue a new client certificate for this kubeconfig user (or use its token)');
  });

  it('a certificate not valid yet is CRITICAL however many days it has left', () => {
    const early = { ...cert('/b/cluster.crt', 3650), notBefore: Date.parse('2035-01-01T00:00:00Z') };
    const o = certs.evaluate(
      { now: NOW, certs: [cert('/c/ca.crt', 3000), early], unreadable: [] },
      { warning: r('30:'), critical: r('7:') },
    );
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toBe('/b/cluster.crt not valid until 2035-01-01T00:00:00Z (2 certificates, soonest /c/ca.crt in 3000 days)');
  });

  it('not valid for one more hour (made on a clock an hour ahead) is CRITICAL too: any time ahead is rejected', () => {
    const soon = { ...cert('/var/snap/microk8s/current/certs/server.crt', 365), notBefore: NOW + 3_600_000 };
    const o = certs.evaluate({ now: NOW, certs: [soon], unreadable: [] }, { warning: r('30:'), critical: r('7:') });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^\/var\/snap\/microk8s\/current\/certs\/server\.crt not valid until 2026-11-28T04:00:00Z \(/);
  });

  it('not valid yet with 20 days left (a short-lived --cert) is CRITICAL, not the WARNING its days give', () => {
    const short = { ...cert('/etc/ssl/registry.crt', 20), notBefore: NOW + 3_600_000 };
    const o = certs.evaluate({ now: NOW, certs: [short], unreadable: [] }, { warning: r('30:'), critical: r('7:') });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^\/etc\/ssl\/registry\.crt not valid until 2026-11-28T04:00:00Z, \/etc\/ssl\/registry\.crt expires in 20 /);
  });

  it('hours from expiry is 0 days left, still to come: "expires in 0 days", never "expired"', () => {
    const hours = { ...cert('/var/snap/microk8s/current/certs/server.crt', 0), notAfter: NOW + 5 * 3_600_000 };
    const o = certs.evaluate({ now: NOW, certs: [hours], unreadable: [] }, { warning: r('30:'), critical: r('7:') });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^\/var\/snap\/microk8s\/current\/certs\/server\.crt expires in 0 days \(/);
    expect(perf(o).min_days).toBe('0;30:;7:');
  });

  it('names what refresh-certs really renews for each certificate', () => {
    const front = '/var/snap/microk8s/current/certs/front-proxy-ca.crt';
    expect(remedy(file(front))).toBe(
      `refresh-certs makes it only when it is missing: move it aside (sudo mv ${front} ` +
        `${front}.old), then sudo microk8s refresh-certs --cert ca.crt (a new CA: every other node ` +
        `must then leave and re-join). --cert front-proxy-client.crt signs with the old one`,
    );
    expect(remedy(file('/x/ca.crt'))).toMatch(
      pattern(
        /--cert ca\.crt .*which also renews server\.crt, front-proxy-client\.crt and the /,
        /component client certificates, not front-proxy-ca\.crt$/,
      ),
    );
    expect(remedy(file('/x/front-proxy-client.crt'))).toMatch(/--cert front-proxy-client\.crt/);
    expect(remedy(file('/x/kubelet.crt'))).toMatch(
      /^refresh-certs has no --cert for kubelet\.crt: sudo microk8s refresh-certs --cert ca\.crt/,
    );
    expect(remedy(file('/var/snap/microk8s/current/var/kubernetes/backend/cluster.crt'))).toMatch(
      /^refresh-certs does not renew it: every control-plane node shares this dqlite certificate/,
    );
    expect(remedy(file('/etc/ssl/other.crt'))).toBe('renew it where it was issued');
  });
});
