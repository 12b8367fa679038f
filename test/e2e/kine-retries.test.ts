import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { at, etcdRetry, klog, logrus, LOCK_TXN } from '../helpers/fixtures.ts';
import { DQLITE, haveJournalRemote, K8S01, K8S03, KUBELITE, makeJournal, on, type Entry } from '../helpers/journal.ts';
import { pattern } from '../helpers/pattern.ts';
import { runBuilt } from '../helpers/run.ts';

const dq = (age: number, level: string, msg: string): Entry => ({ age, service: DQLITE, message: logrus(at(age), level, msg) });
const kl = (age: number, message: string): Entry => ({ age, service: KUBELITE, message });

const cancelled = [
  dq(200, 'error', 'error in txn: query (try: 0): context canceled'),
  dq(190, 'error', 'error while range on /registry/leases/kube-system/kube-scheduler : query (try: 0): context deadline exceeded'),
  dq(180, 'error', 'error while range on /registry/events/ /registry/events/: count /registry/events/% (try: 0): context canceled'),
];

describe.skipIf(!haveJournalRemote)('check_kine_retries on real journal files', () => {
  it("counts kubelite's failures to reach kine's socket, and names the remedy", async () => {
    const sock = 'unix:///var/snap/microk8s/6787/var/kubernetes/backend/kine.sock:12379';
    const refused = (age: number) =>
      kl(
        age,
        klog(
          at(age),
          'W',
          KUBELITE.pid,
          'logging.go:59',
          `[core] [Channel #7 SubChannel #9] grpc: addrConn.createTransport failed to connect to ` +
            `{Addr: "${sock}", ServerName: "kine.sock:12379", }. Err: connection error: desc = ` +
            `"transport: Error while dialing: dial unix ${sock.slice(7)}: connect: connection refused"`,
        ),
      );
    const closed = (age: number) =>
      kl(
        age,
        klog(
          at(age),
          'E',
          KUBELITE.pid,
          'watcher.go:150',
          `watch chan error: rpc error: code = Unavailable desc = error reading from server: read ` +
            `unix @->${sock.slice(7)}: use of closed network connection`,
        ),
      );
    const r = await runBuilt('check_kine_retries', [
      '--journal-file',
      makeJournal([
        refused(40),
        refused(30),
        closed(20),
        dq(10, 'info', 'Kine listening on unix:///var/snap/microk8s/6787/var/kubernetes/backend/kine.sock:12379'),
      ]),
    ]);
    expect(r.code).toBe(1);
    expect(r.perf.kine_socket_errors).toBe('3;;;0');
    expect(r.first).toMatch(/3 kine socket failures \(kine\.sock:12379 refused or closed\)/);
    expect(r.stdout).toMatch(/restart k8s-dqlite FIRST/);
    const none = await runBuilt('check_kine_retries', [
      '--journal-file',
      makeJournal([dq(10, 'info', 'Kine listening on unix:///var/snap/microk8s/6787/var/kubernetes/backend/kine.sock:12379')]),
    ]);
    expect(none.code).toBe(0);
    expect(none.perf.kine_socket_errors).toBe('0;;;0');
    // One is enough by default (--socket-error-warning 1): the runbook's symptom is a single such line.
    const one = await runBuilt('check_kine_retries', ['--journal-file', makeJournal([closed(20)])]);
    expect(one.code).toBe(1);
    // What was found first: a summary opening on "0 errors" read as nothing to see above its WARNING.
    expect(one.first).toMatch(/^KINE-RETRIES WARNING - 1 kine socket failure \(kine\.sock:12379 refused or closed\) \(no k8s-dqlite /);
    expect(one.first).toMatch(/ \(no k8s-dqlite error at the full retry budget, try: 500, in the last 5m\) \| /);
  });

  it('counts exhausted retry budgets once, where k8s-dqlite logs them', async () => {
    const file = makeJournal([
      dq(100, 'error', LOCK_TXN),
      dq(
        90,
        'error',
        'error in txn: update transaction failed for key ' +
          '/registry/leases/kube-system/microk8s.io-hostpath: exec (try: 500): database is locked',
      ),
      dq(
        80,
        'error',
        'error in txn: create transaction failed for key /registry/events/openebs/pvc-3c1d: exec (try: 500): database is locked',
      ),
      dq(
        70,
        'error',
        'error in txn: update transaction failed for key /registry/configmaps/kube-system/x: exec (try: 5): context canceled',
      ),
      // a debug trace of a retry in flight is not an error
      dq(60, 'debug', 'EXEC (try: 499) [/registry/leases/kube-system/kube-controller-manager 0 [107 56 115 0 10 31]'),
      // kubelite echoing the same error to its client is not a second exhaustion
      kl(
        79,
        klog(
          at(79),
          'E',
          KUBELITE.pid,
          'status.go:71',
          'apiserver received an error that is not an metav1.Status: rpc error: code = Unknown desc = exec (try: 500): database is locked',
        ),
      ),
      // outside the window
      dq(900, 'error', LOCK_TXN),
      ...cancelled,
    ]);
    const r = await runBuilt('check_kine_retries', ['--journal-file', file]);
    expect(r.code).toBe(1);
    expect(r.first).toMatch(/^KINE-RETRIES WARNING - 3 k8s-dqlite errors at the full retry budget \(try: 500\) in the last 5m/);
    expect(r.perf).toMatchObject({
      exhausted: '3;2;10;0',
      max_try: '500;;;0',
      max_attempt: '0;;;0',
      conn_closing: '0;;;0',
      cancelled: '3;;;0',
    });
    // Exhausted budgets alone are the storm (the runbook's "Immediate": stop adding restarts), no
    // broken connection: a restart recipe here fed the single writer it told the reader to spare.
    expect(r.stdout).toMatch(/^Do not restart kubelite on any node while kine exhausts its retries/m);
    expect(r.stdout).toMatch(/^Cut the write load: /m);
    expect(r.stdout).not.toMatch(/systemctl restart/);
  });

  it("an entry of kubelite's of several lines is kubelite's on each line: its (try: 500) is not counted again", async () => {
    // kubelite returning k8s-dqlite's error in a message of several lines: the lines after the
    // first carry no stamp or identifier of their own in journalctl's output.
    const echo = (age: number) =>
      kl(age, `${klog(at(age), 'E', KUBELITE.pid, 'status.go:71', 'apiserver received an error:')}\n  exec (try: 500): database is locked`);
    const r = await runBuilt('check_kine_retries', [
      '--journal-file',
      makeJournal([echo(90), echo(60), echo(30), dq(20, 'info', 'compacted')]),
    ]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^KINE-RETRIES OK - no kine retry exhaustion or etcd-client retry storm in the last 5m /);
    expect(r.perf).toMatchObject({ exhausted: '0;2;10;0', max_try: '0;;;0' });
  });

  it("a line after a CR in kubelite's message is kubelite's, however it begins: never an entry of its own", async () => {
    // An admission webhook's answer quoted in kubelite's error, its lines ending in a lone CR, which
    // journalctl prints as it is (a line break in a message it indents): a line there shaped as
    // journalctl's own was read as a k8s-dqlite entry, its (try: 500) an exhausted budget of 2023.
    const forged = `1700000000.000000 k8s02 ${DQLITE.ident}[${DQLITE.pid}]: ${logrus(at(600), 'error', LOCK_TXN)}`;
    const quoting = (age: number) =>
      kl(age, klog(at(age), 'E', KUBELITE.pid, 'dispatcher.go:214', `failed calling webhook: denied:\r${forged}\r`));
    const r = await runBuilt('check_kine_retries', [
      '--journal-file',
      makeJournal([quoting(90), quoting(60), quoting(30), dq(20, 'info', 'compacted')]),
    ]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.first).toMatch(/^KINE-RETRIES OK - no kine retry exhaustion or etcd-client retry storm in the last 5m /);
    expect(r.perf).toMatchObject({ exhausted: '0;2;10;0', max_try: '0;;;0' });
  });

  it('warns on an etcd-client retry storm (attempt >= 80) and on closing connections, with zero exhaustion', async () => {
    const err = 'rpc error: code = Unavailable desc = error reading from server: EOF';
    const file = makeJournal([
      kl(50, etcdRetry(at(50), 0, 'rpc error: code = Unimplemented desc = unknown service etcdserverpb.Maintenance')),
      kl(40, etcdRetry(at(40), 85, err, '/etcdserverpb.KV/Range')),
      kl(30, etcdRetry(at(30), 12, 'rpc error: code = Canceled desc = grpc: the client connection is closing', '/etcdserverpb.KV/Txn')),
      kl(25, etcdRetry(at(25), 13, 'rpc error: code = Canceled desc = grpc: the client connection is closing', '/etcdserverpb.KV/Txn')),
      ...cancelled,
    ]);
    const r = await runBuilt('check_kine_retries', ['--journal-file', file]);
    expect(r.code).toBe(1);
    expect(r.perf).toMatchObject({ exhausted: '0;2;10;0', max_attempt: '85;;;0', conn_closing: '2;;;0' });
    expect(r.first).toMatch(/etcd-client retry attempt 85 \(>= 80\)/);
    // Counted as lines, as check_dqlite_lock counts its own: never "'...closing's".
    expect(r.first).toMatch(
      /, 2 'client connection is closing' lines \(no k8s-dqlite error at the full retry budget, try: 500, in the last 5m\) \|/,
    );
    // The runbook's "connections to kine are broken": k8s-dqlite first, then kubelite, no storm to wait out.
    expect(r.stdout).toMatch(/^Recovery, one node at a time, once check_dqlite_lock is OK .*: restart k8s-dqlite FIRST/m);
    expect(r.stdout).toMatch(/snap\.microk8s\.daemon-k8s-dqlite\.service; sleep 10/);
    expect(r.stdout).not.toMatch(/while kine exhausts its retries/);
  });

  it('attempt 80 (100 retries 25 ms apart: about 2 s into a storm) is the default WARNING; 79 is not', async () => {
    const err = 'rpc error: code = Unavailable desc = error reading from server: EOF';
    const storm = (attempt: number) => makeJournal([kl(30, etcdRetry(at(30), attempt, err, '/etcdserverpb.KV/Range'))]);
    const at80 = await runBuilt('check_kine_retries', ['--journal-file', storm(80)]);
    expect(at80.code).toBe(1);
    expect(at80.first).toMatch(/^KINE-RETRIES WARNING - etcd-client retry attempt 80 \(>= 80\) \(no k8s-dqlite error at /);
    const at79 = await runBuilt('check_kine_retries', ['--journal-file', storm(79)]);
    expect(at79.code).toBe(0);
    expect(at79.perf.max_attempt).toBe('79;;;0');
  });

  it('is OK for cancelled requests alone, and honours --attempt-warning and --budget', async () => {
    const file = makeJournal([
      ...cancelled,
      kl(20, etcdRetry(at(20), 85, 'context deadline exceeded', '/etcdserverpb.KV/Range')),
      dq(10, 'error', 'error in txn: exec (try: 200): database is locked'),
    ]);
    const ok = await runBuilt('check_kine_retries', ['--journal-file', file, '--attempt-warning', '90']);
    expect(ok.code).toBe(0);
    expect(ok.perf).toMatchObject({ exhausted: '0;2;10;0', max_try: '200;;;0', cancelled: '3;;;0' });
    const budget = await runBuilt('check_kine_retries', [
      '--journal-file',
      file,
      '--attempt-warning',
      '90',
      '--budget',
      '200',
      '-w',
      '0',
      '-c',
      '5',
    ]);
    expect(budget.code).toBe(1);
    expect(budget.perf.exhausted).toBe('1;0;5;0');
  });

  it('debug traces of retries in flight (k8s-dqlite at debug level) are no errors: OK, max_try 0', async () => {
    // canonical/microk8s#5153: with debug on in args/k8s-dqlite every try is traced as `EXEC (try: N)`;
    // only an error line (level=error) says a retry budget was spent.
    const trace = (age: number, n: number) =>
      dq(age, 'debug', `EXEC (try: ${n}) [/registry/leases/kube-system/kube-controller-manager 0 [107 56 115 0 10 31]`);
    const r = await runBuilt('check_kine_retries', ['--journal-file', makeJournal([trace(40, 0), trace(30, 250), trace(20, 499)])]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^KINE-RETRIES OK - no kine retry exhaustion or etcd-client retry storm in the last 5m /);
    expect(r.perf).toMatchObject({ exhausted: '0;2;10;0', max_try: '0;;;0' });
  });

  it('a journal that begins inside the window names the span it saw, never the whole window', async () => {
    // A fresh node, or the active file just after a rotation: its first entry 250 s ago.
    const entries = [dq(250, 'info', 'Starting k8s-dqlite'), ...cancelled];
    const begun = await runBuilt('check_kine_retries', ['--journal-file', makeJournal(entries, undefined, { anchor: false })]);
    expect(begun.code).toBe(0);
    expect(begun.first).toMatch(
      pattern(
        /^KINE-RETRIES OK - no kine retry exhaustion or etcd-client retry storm in the last 4m1\ds /,
        /\(\S+\/system\.journal begins inside the 5m window, at 20\d\d-\S+Z\) \| exhausted=0;2;10;0 /,
      ),
    );
    expect(begun.perf.cancelled).toBe('3;;;0');
    const whole = await runBuilt('check_kine_retries', ['--journal-file', makeJournal(entries)]);
    expect(whole.first).toMatch(/^KINE-RETRIES OK - no kine retry exhaustion or etcd-client retry storm in the last 5m \(\S+\) \| /);
  });

  it('a journal given that ends inside the window (a copy) vouches for no calm after its end; exhaustion found stands', async () => {
    // Its newest entry 180 s old: it said "no kine retry exhaustion ... in the last 5m" and OK, for 3 minutes it never saw.
    const calm = await runBuilt('check_kine_retries', ['--journal-file', makeJournal(cancelled, undefined, { tail: false })]);
    expect(calm.code).toBe(3);
    expect(calm.first).toMatch(
      pattern(
        /^KINE-RETRIES UNKNOWN - journal \S+\/system\.journal ends at \S+Z, 3m ago: the last 3m of the 5m window are not in it /,
        /\(fix: check that the node still sends its journal, or give its live journal\) \| exhausted=0;2;10;0 /,
      ),
    );
    const exhausted = [200, 190, 180].map((age) => dq(age, 'error', LOCK_TXN));
    const storm = await runBuilt('check_kine_retries', ['--journal-file', makeJournal(exhausted, undefined, { tail: false })]);
    expect(storm.code).toBe(1);
    expect(storm.first).toMatch(
      pattern(
        /^KINE-RETRIES WARNING - 3 k8s-dqlite errors at the full retry budget \(try: 500\) in the last 5m /,
        /\(\S+\/system\.journal ends inside the 5m window, at \S+Z: nothing after it\) \| exhausted=3;2;10;0 /,
      ),
    );
  });

  it("a central log host's directory: a machine whose entries begin inside the window is named in the quiet OK", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-remote-'));
    makeJournal(
      [dq(1200, 'info', 'Starting k8s-dqlite'), ...cancelled].map((e) => on(K8S01, e)),
      dir,
      {
        anchor: false,
        name: 'remote-k8s01.journal',
      },
    );
    makeJournal(
      [dq(100, 'info', 'Starting k8s-dqlite')].map((e) => on(K8S03, e)),
      dir,
      { anchor: false, name: 'remote-k8s03.journal' },
    );
    const r = await runBuilt('check_kine_retries', ['--journal-dir', dir]);
    // It said "no kine retry exhaustion or etcd-client retry storm in the last 5m (DIR)": k8s03's first 3 minutes unseen.
    expect(r.code).toBe(0);
    expect(r.first).toMatch(
      new RegExp(
        '^KINE-RETRIES OK - no kine retry exhaustion or etcd-client retry storm in the last 5m ' +
          `\\(the journal of k8s03 in ${dir} begins inside the 5m window, at \\S+Z\\) \\| exhausted=0;2;10;0 `,
      ),
    );
    expect(r.perf.cancelled).toBe('3;;;0');
  });

  it('reads the real sample shapes piped as text: truncated JSON and lines without pid', async () => {
    const lines = [
      'Aug 05 17:03:22 k8s02 microk8s.daemon-k8s-dqlite: level=error msg="error in txn: update ' +
        'transaction failed for key /registry/leases/kube-system/kube-controller-manager: exec ' +
        '(try: 500): database is locked"',
      'error in txn: update transaction failed for key ' +
        '/registry/leases/kube-system/microk8s.io-hostpath: exec (try: 500): database is locked',
      '{"level":"warn","ts":"2022-01-17T17:53:04.388+0100","logger":"etcd-client",' +
        '"caller":"v3/retry_interceptor.go:62","msg":"retrying of unary invoker failed",' +
        '"target":"etcd-endpoints://0xc000bdf500/#initially=[unix:///var/snap/microk8s/2848/var/kubernetes/backend/kine.sock:12379]",' +
        '"attempt":93,"error":"rpc error: code = Unavailab',
    ];
    const r = await runBuilt('check_kine_retries', ['--log-file', '-', '--since', '3650d'], { input: `${lines.join('\n')}\n` });
    expect(r.perf).toMatchObject({ exhausted: '2;2;10;0', max_attempt: '93;;;0' });
    expect(r.code).toBe(1);
    // Two exhausted (within -w 2) are no storm: the retry attempt's remedy alone.
    expect(r.stdout).toMatch(/^Recovery, one node at a time, once check_dqlite_lock is OK .*: restart k8s-dqlite FIRST/m);
    const storm = await runBuilt('check_kine_retries', ['--log-file', '-', '--since', '3650d'], {
      input: `${[lines[0], ...lines].join('\n')}\n`,
    });
    expect(storm.perf).toMatchObject({ exhausted: '3;2;10;0', max_attempt: '93;;;0' });
    // Both: the storm is waited out first, and only then do the broken connections get their restarts.
    const advice = storm.stdout.split('\n');
    const hold = advice.findIndex((l) => l.startsWith('Do not restart kubelite on any node while kine exhausts its retries'));
    const restart = advice.findIndex((l) => l.startsWith('If the broken-connection signs above remain once no retry budget is exhausted'));
    expect([hold > 0, restart > hold]).toEqual([true, true]);
  });

  it("only kine's socket is a kine socket failure: a pod's probe refused in kubelite's log is not", async () => {
    const kubelite = (second: number) => `May 16 06:11:${second} ubuntu microk8s.daemon-kubelite[6065]: `;
    const lines = [
      // canonical/microk8s#4523, as kubelite logged it.
      `${kubelite(30)}W0516 06:11:30.766110    6065 logging.go:59] [core] [Channel #7 SubChannel #9] grpc: ` +
        'addrConn.createTransport failed to connect to {Addr: "unix:///var/snap/microk8s/6787/var/kubernetes/backend/kine.sock:12379", ' +
        'ServerName: "kine.sock:12379", }. Err: connection error: desc = "transport: Error while dialing: dial unix ' +
        '/var/snap/microk8s/6787/var/kubernetes/backend/kine.sock:12379: connect: connection refused"',
      // kubelet's prober in the same process: calico-node's readiness refused, nothing to do with kine.
      `${kubelite(31)}I0516 06:11:31.102334    6065 prober.go:107] "Probe failed" probeType="Readiness" ` +
        'pod="kube-system/calico-node-cp8hh" podUID="0c1e9a52-5d1c-4c52-9a55-3f1c2f0e8b7d" containerName="calico-node" ' +
        'probeResult="failure" output="calico/node is not ready: felix is not ready: Get \\"http://localhost:9099/readiness\\": ' +
        'dial tcp 127.0.0.1:9099: connect: connection refused"',
    ];
    const r = await runBuilt('check_kine_retries', ['--log-file', '-', '--since', '3650d'], { input: `${lines.join('\n')}\n` });
    expect(r.perf.kine_socket_errors).toBe('1;;;0');
    expect(r.first).toMatch(/^KINE-RETRIES WARNING - 1 kine socket failure \(kine\.sock:12379 refused or closed\)/);
  });
});
