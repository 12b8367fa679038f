import { describe, expect, it } from 'vitest';
import { loginOf } from '../../lib/sources/ssh/login.ts';
import { reasonOf } from '../../lib/errors.ts';
import { askCli } from '../../lib/sources/dqlite-cluster.ts';
import { enterDenied, storeUnreadable } from '../../lib/sources/dqlite.ts';

describe('askCli', () => {
  // A deadline's remainder is fractional (the shared cycle counts -t from when the caller asked):
  // seen as "internal error: The value of "delay" is out of range" through a real Nagios.
  it('takes a fractional budget', async () => {
    const answer = await askCli(async () => '127.0.0.1:19001', ['dqlite'], 5382.845703125, new AbortController().signal);
    expect(answer).toEqual({ kind: 'answer', out: '127.0.0.1:19001' });
  });
});

// A refresh copies MicroK8s' data into a new revision directory: an ACL there is to be set again.
// Said only of such a path: not of common/ (kept), nor of any other --backend-dir.
describe('the fix for a backend directory denied to the check', () => {
  const fixFor = (backend: string) =>
    reasonOf(enterDenied(backend, { dir: backend }, { there: true, user: 'icinga' })).replace(/^.*\(fix: /, '(fix: ');
  it('says "again after a snap refresh" of MicroK8s\' own data only', () => {
    const snap = '/var/snap/microk8s/current/var/kubernetes/backend';
    expect(fixFor(snap)).toBe(
      `(fix: give user icinga search access to ${snap}: sudo setfacl -m u:icinga:x ${snap} (again after a snap refresh))`,
    );
    for (const kept of ['/var/snap/microk8s/common/backend', '/srv/dqlite/backend'])
      expect(fixFor(kept)).toBe(`(fix: give user icinga search access to ${kept}: sudo setfacl -m u:icinga:x ${kept})`);
  });
  it("takes the user another host's shell names only where it is a user name (it is printed in a command to run)", () => {
    expect([loginOf('user icinga', 'nagios'), loginOf('uid 54321', 'nagios'), loginOf('user', 'nagios')]).toEqual([
      'icinga',
      'uid 54321',
      'nagios',
    ]);
    // A host printing what no user is named: the login the connection asked for, never its text.
    expect([loginOf('user $(reboot)', 'nagios'), loginOf('user a;b', 'nagios'), loginOf('uid 1x', 'nagios')]).toEqual([
      'nagios',
      'nagios',
      'nagios',
    ]);
  });
  it("names the SSH login for a node store another node's CLI could not open", () => {
    const store = '/srv/dqlite/backend/cluster.yaml';
    const err = new Error(`open servers store: open ${store}: permission denied`);
    expect(reasonOf(storeUnreadable(err, '/srv/dqlite/backend', 'uid 54321'))).toBe(
      `the dqlite CLI cannot read ${store}: permission denied for user uid 54321 (fix: give user uid 54321 read access to ${store}: ` +
        `sudo setfacl -m u:54321:r ${store}, or ask as root: --sudo with a sudoers line for this command line)`,
    );
  });
});
