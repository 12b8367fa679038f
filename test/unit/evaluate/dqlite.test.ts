// The check's judging from plain facts (no API server, journal, sshd or systemd needed): what is
// asserted is what a user sees, the state, the first line's summary and the perfdata.
import { describe, expect, it } from 'vitest';
import type { Probe } from '../../../lib/sources/dqlite-cluster.ts';
import * as dqlite from '../../../checks/dqlite.ts';
import { parseClusterAnswer } from '../../../lib/sources/dqlite-members.ts';
import { State } from '../../../lib/plugin/state.ts';
import { node } from '../../apiserver/objects.ts';
import { r, asNodes, perf } from './helpers.ts';

describe('dqlite', () => {
  it("reads the CLI's -f json answer (captured from Debian's v1 CLI) with the uint64 ID intact, and the tabular one", () => {
    const json = '[\n\t{\n\t\t"ID": 3297041220608546238,\n\t\t"Address": "127.77.9.1:19001",\n\t\t"Role": 0\n\t}\n]\n';
    expect(parseClusterAnswer(json)).toEqual([{ id: '3297041220608546238', address: '127.77.9.1:19001', role: 'voter' }]);
    expect(parseClusterAnswer('2dc171858c3155be|127.77.9.1:19001|voter\n')).toEqual(parseClusterAnswer(json));
  });

  const member = (n: number, role: 'voter' | 'stand-by' | 'spare' = 'voter') => ({ id: `${n}`, address: `10.0.0.1${n}:19001`, role });
  const facts = (unreachable: string[], over: Partial<dqlite.DqliteFacts> = {}): dqlite.DqliteFacts => {
    const members = over.members ?? [member(1), member(2), member(3)];
    return {
      members,
      from: 'the dqlite CLI (the leader)',
      duplicates: 0,
      self: member(1),
      leader: { kind: 'known', address: '10.0.0.11:19001' },
      notes: [],
      probes: new Map(members.map((m) => [m.address, unreachable.includes(m.address) ? { ok: false, why: 'ECONNREFUSED' } : { ok: true }])),
      ...over,
    };
  };
  const judge = (f: dqlite.DqliteFacts) => dqlite.evaluate(f, dqlite.defaultLimits);

  it('three reachable voters with a leader is OK', () => {
    const o = judge(facts([]));
    expect([o.state, o.summary]).toEqual([State.OK, '3 voters, leader 10.0.0.11:19001, 0 unreachable']);
  });

  it('two voters unreachable of three is quorum lost: CRITICAL first', () => {
    const o = dqlite.evaluate(facts(['10.0.0.12:19001', '10.0.0.13:19001']), { warning: r('0') });
    expect(o.state).toBe(State.CRITICAL);
    expect(o.summary).toMatch(/^quorum lost: 1 of 3 voters reachable, 2 needed/);
  });

  // -t 0.1, or a second on a loaded node: what is left for the probes is no time for a member to answer in.
  it('voters whose probe was given too little time to answer are neither reachable nor unreachable: UNKNOWN, not quorum lost', () => {
    const short = { ok: false, untold: true, why: 'not probed in the 0.001s -t left' };
    const probes = new Map<string, Probe>([
      ['10.0.0.11:19001', short],
      ['10.0.0.12:19001', short],
      ['10.0.0.13:19001', short],
    ]);
    const o = judge(facts([], { probes, leader: { kind: 'no-answer', seconds: 0.001 } }));
    expect(o.state).toBe(State.UNKNOWN);
    expect(o.summary).toMatch(/^3 voters not probed in the 0\.001s -t left \(fix: give a longer -t\), /);
    expect(o.summary).not.toMatch(/quorum lost|stale/);
    expect(o.perfdata.find((p) => p.label === 'unreachable_voters')?.value).toBe(0);
    // Two refused beside one untold: lost whatever the third would say.
    probes.set('10.0.0.12:19001', { ok: false, why: 'ECONNREFUSED' });
    probes.set('10.0.0.13:19001', { ok: false, why: 'ECONNREFUSED' });
    expect(judge(facts([], { probes })).summary).toMatch(/^quorum lost: 0 of 3 voters reachable, 2 needed/);
  });

  const short = { ok: false, untold: true, why: 'not probed in the 0.3s -t left' };
  /** Five voters: 10.0.0.13 refused, 10.0.0.14 and .15 not probed in the -t left, the rest reachable. */
  const oneDownTwoUnprobed = () => {
    const five = [1, 2, 3, 4, 5].map((n) => member(n));
    const probes = new Map<string, Probe>(five.map((m) => [m.address, { ok: true }]));
    probes.set('10.0.0.13:19001', { ok: false, why: 'ECONNREFUSED' });
    probes.set('10.0.0.14:19001', short);
    probes.set('10.0.0.15:19001', short);
    return { five, probes };
  };

  // A short -t on a loaded node: one voter refused, others not probed in time. Whether quorum holds
  // rests on those not probed: it read "quorum holds through -1 more failures".
  it('a voter down beside voters not probed in time: how many failures quorum holds through is never below zero', () => {
    const { five, probes } = oneDownTwoUnprobed();
    const o = judge(facts([], { members: five, probes }));
    expect([o.state, o.summary]).toEqual([
      State.UNKNOWN,
      '2 voters not probed in the 0.3s -t left (fix: give a longer -t), 1 voter unreachable (10.0.0.13:19001): ' +
        'quorum holds only if 1 of the 2 voters not probed is up (5 voters, leader 10.0.0.11:19001, 1 unreachable)',
    ]);
    // Three of five reachable, one not probed: one more failure loses quorum unless that one is up.
    probes.set('10.0.0.12:19001', { ok: true });
    probes.set('10.0.0.15:19001', { ok: true });
    expect(judge(facts([], { members: five, probes })).summary).toMatch(
      /, 1 voter unreachable \(10\.0\.0\.13:19001\): one more failure loses quorum unless the voter not probed is up \(/,
    );
    expect(perf(o).unreachable_voters).toBe('1;0;;0;5');
  });

  // The first line says quorum rests on voters not probed; the long output is where the hold on restarts is said.
  it('a voter down and quorum resting on voters not probed: no restart elsewhere, as for one more failure losing quorum', () => {
    const { five, probes } = oneDownTwoUnprobed();
    const HOLD = 'Do not restart kubelite or k8s-dqlite on another node while quorum is at risk: one more node down stops every write.';
    const resting = judge(facts([], { members: five, probes }));
    expect(resting.summary).toMatch(/: quorum holds only if 1 of the 2 voters not probed is up \(/);
    expect(resting.details).toContain(HOLD);
    probes.set('10.0.0.12:19001', { ok: true });
    probes.set('10.0.0.15:19001', { ok: true });
    const unless = judge(facts([], { members: five, probes }));
    expect(unless.summary).toMatch(/: one more failure loses quorum unless the voter not probed is up \(/);
    expect(unless.details).toContain(HOLD);
    // Nothing known down, only voters not probed: no risk claimed.
    const untold = judge(facts([], { members: five, probes: new Map<string, Probe>(five.map((m) => [m.address, short])) }));
    expect(untold.details).not.toContain(HOLD);
  });

  it("the CLI's no leader with one voter down of three: quorum lost, and the voters' journals, not 'bring voters back'", () => {
    // A majority accepts TCP: bringing the third back is no way to a majority it already has.
    const o = judge(facts(['10.0.0.13:19001'], { leader: { kind: 'none', text: 'no available dqlite leader server found' } }));
    expect(o.state).toBe(State.CRITICAL);
    expect(o.details).toContainEqual(expect.stringMatching(/^A majority of voters accepts TCP, yet none leads: k8s-dqlite's journal/));
    expect(o.details).not.toContainEqual(expect.stringMatching(/^Bring voters back/));
  });

  it('one voter down of five leaves a failure to spare: WARNING, said so, no quorum-at-risk advice', () => {
    const five = [1, 2, 3, 4, 5].map((n) => member(n));
    const o = judge(facts(['10.0.0.15:19001'], { members: five }));
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '1 voter unreachable (10.0.0.15:19001): quorum holds through 1 more failure (5 voters, leader 10.0.0.11:19001, 1 unreachable)',
    ]);
    expect(o.details).not.toContainEqual(expect.stringMatching(/quorum is at risk/));
    // Two down of five: one more loses it.
    const two = judge(facts(['10.0.0.14:19001', '10.0.0.15:19001'], { members: five }));
    expect(two.summary).toMatch(/^2 voters unreachable \(10\.0\.0\.14:19001, 10\.0\.0\.15:19001\): one more failure loses quorum/);
    expect(two.details).toContainEqual(
      expect.stringMatching(/^Do not restart kubelite or k8s-dqlite on another node while quorum is at risk/),
    );
  });

  it("this node missing from the leader's member list (removed, its dqlite outside the cluster) is WARNING, never OK", () => {
    // Seen on a real go-dqlite cluster: a 4th member removed with .remove, then started again on its data.
    const o = judge(facts([], { self: member(4) }));
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^this node \(10\.0\.0\.14:19001\) is not a member of the dqlite cluster: removed from it\?/);
    // Three voters all reachable: no write is at risk, whatever else is wrong.
    expect(o.details).not.toContainEqual(expect.stringMatching(/quorum is at risk/));
    // Its own cluster.yaml, which go-dqlite rewrote from the leader's list, says the same (the leader not asked).
    const own = judge(facts([], { self: member(4), from: '/b/cluster.yaml', leader: { kind: 'not-asked', why: 'no read access' } }));
    expect([own.state, own.summary]).toEqual([
      State.WARNING,
      'this node (10.0.0.14:19001) is not a member of the dqlite cluster: removed from it? (3 voters, leader not asked, 0 unreachable)',
    ]);
    // Found by its ID, as check_dqlite_storage finds it: its address written otherwise is no removal.
    const full = { id: '1', address: '[fd00:0:0:0:0:0:0:11]:19001', role: 'voter' as const };
    const v6 = { ...full, address: '[fd00::11]:19001' };
    const moved = facts([], { members: [v6, member(2), member(3)], self: full, leader: { kind: 'known', address: v6.address } });
    expect(judge(moved)).toMatchObject({
      state: State.OK,
      details: expect.arrayContaining(['[fd00::11]:19001 (id 1): voter, leader, this node']),
    });
  });

  it('nothing to judge is UNKNOWN: no member, no voter', () => {
    expect(judge(facts([], { members: [], from: '/b/cluster.yaml' }))).toMatchObject({
      state: State.UNKNOWN,
      summary: expect.stringMatching(/^\/b\/cluster\.yaml lists no member/),
    });
    // Said alone: no 'no fault tolerance: 0 voters' beside it.
    expect(judge(facts([], { members: [member(1, 'spare'), member(2, 'spare')] }))).toMatchObject({
      state: State.UNKNOWN,
      summary: 'no voter among 2 members (the dqlite CLI (the leader)) (0 voters, leader 10.0.0.11:19001, 0 unreachable)',
    });
  });

  it('the leader not asked (no key access) is no failure by itself; a CLI that failed is UNKNOWN', () => {
    const o = judge(facts([], { leader: { kind: 'not-asked', why: 'no read access to /b/cluster.key' } }));
    expect([o.state, o.summary]).toEqual([State.OK, '3 voters, leader not asked, 0 unreachable']);
    expect(o.details).toContain('leader not asked: no read access to /b/cluster.key');
    expect(judge(facts([], { leader: { kind: 'failed', why: 'sudo: a password is required' } })).state).toBe(State.UNKNOWN);
  });

  it("a CLI with no answer in time is WARNING, leader unknown; the CLI's own no-leader answer is quorum lost", () => {
    const slow = judge(facts([], { leader: { kind: 'no-answer', seconds: 9.2 } }));
    expect([slow.state, slow.summary]).toEqual([
      State.WARNING,
      'the dqlite CLI gave no answer in 9.2s: leader unknown (3 voters, leader unknown, 0 unreachable)',
    ]);
    // Given less than a second (a short -t mostly spent starting up), its silence tells nothing of the leader.
    const cut = judge(facts([], { leader: { kind: 'no-answer', seconds: 0.001 } }));
    expect([cut.state, cut.summary]).toEqual([
      State.UNKNOWN,
      'the dqlite CLI gave no answer in the 0.001s -t left it: leader unknown (fix: give a longer -t) ' +
        '(3 voters, leader unknown, 0 unreachable)',
    ]);
    const none = judge(facts([], { leader: { kind: 'none', text: 'no available dqlite leader server found' } }));
    expect(none.state).toBe(State.CRITICAL);
    expect(none.summary).toMatch(/^quorum lost: the dqlite CLI found no leader/);
  });

  it('a member is stale only when it matches no Node address and does not answer; loopback members are this node', () => {
    const nodes = asNodes([node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' })]);
    expect(judge(facts([], { nodes })).state).toBe(State.OK);
    const gone = judge(facts(['10.0.0.13:19001'], { nodes }));
    expect(gone.summary).toMatch(/1 member with no matching node: 10\.0\.0\.13:19001/);
    // Its removal as it works for a member no Node matches: microk8s remove-node given a name looks up that Node and, with
    // none, looks for a dqlite member at '<name>:' (none): it removes nothing. Given the IP, it removes the member.
    // The dqlite CLI reads cluster.key, which is root's: sudo.
    expect(gone.details).toContain('  sudo microk8s remove-node 10.0.0.13 --force');
    expect(gone.details.join('\n')).toContain(
      '  or: sudo /snap/microk8s/current/bin/dqlite -s file:///var/snap/microk8s/current/var/kubernetes/backend/cluster.yaml ' +
        '-c /var/snap/microk8s/current/var/kubernetes/backend/cluster.crt ' +
        '-k /var/snap/microk8s/current/var/kubernetes/backend/cluster.key ' +
        'k8s ".remove 10.0.0.13:19001"',
    );
    const single = { id: '1', address: '127.0.0.1:19001', role: 'voter' as const };
    const o = judge(facts([], { members: [single], self: single, leader: { kind: 'known', address: single.address }, nodes }));
    expect([o.state, o.summary]).toEqual([State.OK, '1 voter, leader 127.0.0.1:19001, 0 unreachable']);
  });

  // An IPv6 member is written '[fd00::13]:19001' (MicroK8s' join.py). remove-node given fd00::13 looks for a member at
  // 'fd00::13:' and takes for this node's own only members at its IPv4 addresses (remove_node.py, get_dqlite_endpoints):
  // in an IPv6 cluster it removes nothing, as given anything. The dqlite CLI's .remove takes the address as it is listed.
  it('a stale IPv6 member: removed by the dqlite CLI, never told to remove-node, which removes no IPv6 member', () => {
    const v6 = (n: number) => ({ id: `${n}`, address: `[fd00::1${n}]:19001`, role: 'voter' as const });
    const nodes = asNodes([node({ name: 'k8s01', ip: 'fd00::11' }), node({ name: 'k8s02', ip: 'fd00::12' })]);
    const members = [v6(1), v6(2), v6(3)];
    const o = judge(facts(['[fd00::13]:19001'], { members, self: v6(1), leader: { kind: 'known', address: v6(1).address }, nodes }));
    expect(o.summary).toMatch(/1 member with no matching node: \[fd00::13\]:19001/);
    expect(o.details.join('\n')).not.toMatch(/remove-node fd00|remove-node \[fd00/);
    expect(o.details).toContain(
      '  sudo /snap/microk8s/current/bin/dqlite -s file:///var/snap/microk8s/current/var/kubernetes/backend/cluster.yaml ' +
        '-c /var/snap/microk8s/current/var/kubernetes/backend/cluster.crt ' +
        '-k /var/snap/microk8s/current/var/kubernetes/backend/cluster.key ' +
        'k8s ".remove [fd00::13]:19001"',
    );
  });

  // The Nodes asked for and refused (RBAC, a 500): stale members were to be judged and could not be. No
  // kubeconfig at all is the user's choice, said in the long output only.
  it('the Nodes not listed: UNKNOWN, stale members not judged; without a kubeconfig, OK and said', () => {
    const refused = judge(facts([], { staleProblem: { why: 'forbidden: cannot list nodes', failed: true } }));
    expect([refused.state, refused.summary]).toEqual([
      State.UNKNOWN,
      'cannot judge stale members: forbidden: cannot list nodes (3 voters, leader 10.0.0.11:19001, 0 unreachable)',
    ]);
    const none = judge(facts([], { staleProblem: { why: 'no kubeconfig (none found)', failed: false } }));
    expect([none.state, none.summary]).toEqual([State.OK, '3 voters, leader 10.0.0.11:19001, 0 unreachable']);
    expect(none.details).toContain('stale members not judged: no kubeconfig (none found)');
  });

  it('this node down and matching no Node (its Node not registered) is an unreachable voter, never a stale member to remove', () => {
    const nodes = asNodes([node({ name: 'k8s02', ip: '10.0.0.12' }), node({ name: 'k8s03', ip: '10.0.0.13' })]);
    const o = judge(facts(['10.0.0.11:19001'], { nodes, leader: { kind: 'known', address: '10.0.0.12:19001' } }));
    expect([o.state, o.summary]).toEqual([
      State.WARNING,
      '1 voter unreachable (10.0.0.11:19001): one more failure loses quorum (3 voters, leader 10.0.0.12:19001, 1 unreachable)',
    ]);
    expect(o.details.join('\n')).not.toMatch(/remove-node/);
  });

  it("a down member at a Node's address other than its InternalIP is that node's (multi-NIC), never stale", () => {
    // dqlite on one NIC, kubelet's InternalIP on the other (join.py rewrites --node-ip only where it was set).
    const k8s03 = node({ name: 'k8s03', ip: '10.0.0.13' });
    k8s03.status.addresses.push({ type: 'ExternalIP', address: '10.0.0.23' });
    const nodes = asNodes([node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: '10.0.0.12' }), k8s03]);
    const spare = { id: '4', address: '10.0.0.23:19001', role: 'spare' as const };
    const o = judge(facts([spare.address], { members: [member(1), member(2), member(3), spare], nodes }));
    expect([o.state, o.summary]).toEqual([State.OK, '3 voters, leader 10.0.0.11:19001, 0 unreachable']);
  });

  it('fewer than three voters with two or more members: WARNING, no fault tolerance', () => {
    const o = judge(facts([], { members: [member(1), member(2, 'spare')] }));
    expect(o.state).toBe(State.WARNING);
    expect(o.summary).toMatch(/^no fault tolerance: 1 voter among 2 members, one failure stops every write/);
    // Nothing unreachable: no advice to bring an unreachable voter back; with one down, there is.
    expect(o.details.join('\n')).not.toMatch(/unreachable voter back/);
    expect(judge(facts(['10.0.0.13:19001'])).details.join('\n')).toMatch(/Bring the unreachable voter back first/);
  });
});
