// Beside the runbook: a MicroK8s cluster stops when its server certificates expire, until
// `microk8s refresh-certs` is run, and `microk8s inspect` only warns about the CA. This check
// reads every certificate of the node (the files MicroK8s keeps, and dqlite's cluster.crt in the
// backend, whose expiry stops replication), the one each API server really serves, and the
// kubeconfig's client certificate, and says how many days the soonest has left.
import { join } from 'node:path';
import { soonestByLabel } from '../lib/cert-label.ts';
import { certOptions, type CertArgs } from '../lib/options/certs.ts';
import { apiServers } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { fanOut } from '../lib/plugin/fanout.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { remedy, pacedRenewals } from '../lib/refresh-certs.ts';
import {
  CertError,
  certFilesIn,
  type Cert,
  type CertSource,
  kubeconfigUserCerts,
  readCertFile,
  servedCert,
  wordsOf,
} from '../lib/sources/certs.ts';
import { backendCerts } from '../lib/sources/dqlite-cert.ts';
import { BACKEND_IN_SNAP_DATA } from '../lib/sources/dqlite.ts';
import type { LoadedConfig } from '../lib/sources/kube/config.ts';
import { KubeSetup } from '../lib/sources/kube/setup.ts';
import { isoSeconds, plural } from '../lib/text.ts';

export interface CertFacts {
  now: number;
  certs: Cert[];
  /** Certificates that could not be read, each named: never judged as fine. */
  unreadable: { where: string; why: string }[];
  /** What was left out and why, for the long output. */
  notes?: string[];
}

export const defaults = { warning: '30:', critical: '7:' };
/** The defaults parsed, as -w/-c judge when not given. */
export const defaultLimits = thresholdsOf(defaults);

const DAY = 86_400_000;

export function evaluate(f: CertFacts, { warning, critical }: Thresholds): Outcome {
  const v = new Verdict(check.name);
  const context = new ScalarContext(warning, critical);
  // Each certificate judged once, by the same ranges as min_days, soonest first.
  const judged = f.certs.map((c) => {
    const days = Math.floor((c.notAfter - f.now) / DAY);
    return { c, where: wordsOf(c.source), days, state: context.evaluate({ label: 'days', value: days }) };
  });
  const byExpiry = judged.toSorted((a, b) => a.c.notAfter - b.c.notAfter);
  const soonest = byExpiry[0];
  // Nagios has no UOM for days (the labels say it); OpenMetrics gets seconds, its base unit.
  v.measure({ label: 'min_days', value: soonest ? soonest.days : NaN, timeUnit: 'd' }, context);
  for (const [label, days] of soonestByLabel(judged)) v.measure({ label, value: days, timeUnit: 'd' });
  for (const { where, days: d, state } of byExpiry) {
    if (state !== State.OK) v.find(state, `${where} ${d < 0 ? `expired ${plural(-d, 'day')} ago` : `expires in ${plural(d, 'day')}`}`);
  }
  // Not yet valid is as broken as expired: a peer checking it now rejects it, whatever the days left.
  const early = judged.filter(({ c }) => c.notBefore > f.now);
  for (const { c, where } of early) v.find(State.CRITICAL, `${where} not valid until ${isoSeconds(c.notBefore)}`);
  for (const u of f.unreadable) v.find(State.UNKNOWN, `${u.where}: ${u.why}`);
  if (f.certs.length === 0 && f.unreadable.length === 0) v.find(State.UNKNOWN, 'no certificate found to judge');
  for (const { c, where, days, state } of byExpiry) {
    v.detail(`${where}: ${c.subject}, expires ${isoSeconds(c.notAfter)} (${plural(days, 'day')})`);
    if (state !== State.OK) v.detail(`  renew: ${remedy(c.source)}`);
    if (c.notBefore > f.now)
      v.detail(
        `  not valid until ${isoSeconds(c.notBefore)}: the clock where it was made runs ahead, or ` +
          `this host's behind (check both, timedatectl)`,
      );
  }
  v.detail(...pacedRenewals(byExpiry.filter((j) => j.state !== State.OK)), ...(f.notes ?? []));
  const when = (d: number) => (d < 0 ? `expired ${plural(-d, 'day')} ago` : `in ${plural(d, 'day')}`);
  const head = soonest ? `${plural(f.certs.length, 'certificate')}, soonest ${soonest.where} ${when(soonest.days)}` : '';
  return v.conclude(head, { problems: 'before' });
}

/** Every certificate: the node's files, those given, each API server's, the kubeconfig's own. */
export async function gather(args: CertArgs, deadline: Deadline, setup = new KubeSetup()): Promise<CertFacts> {
  const certs: Cert[] = [];
  const unreadable: CertFacts['unreadable'] = [];
  const read = (source: CertSource, get: () => Cert[]) => {
    try {
      certs.push(...get());
    } catch (err) {
      unreadable.push({ where: wordsOf(source), why: reasonOf(err) });
    }
  };
  const inDir = certFilesIn(args['cert-dir']);
  // A directory without one is not the one asked for (a mistyped --cert-dir, $SNAP_DATA instead of
  // its certs/): judged on the served certificate alone, its expired server.crt was never seen.
  if (inDir.length === 0) {
    // The certs/ of the MicroK8s whose $SNAP_DATA was given: by default /var/snap/microk8s/current/certs.
    const fix = `give --cert-dir the directory MicroK8s keeps them in, ${join(args['snap-data'], 'certs')}`;
    unreadable.push({ where: args['cert-dir'], why: reasonOf(new CertError('no certificate (*.crt) in it', { fix })) });
  }
  for (const path of [...inDir, ...(args.cert ?? [])]) read({ kind: 'file', path }, () => readCertFile(path));
  const notes: string[] = [];
  const backend = args['backend-dir'] ?? join(args['snap-data'], BACKEND_IN_SNAP_DATA);
  const cluster: CertSource = { kind: 'file', path: join(backend, 'cluster.crt') };
  read(cluster, () => backendCerts(backend, args['backend-dir'] !== undefined, args['snap-data'], notes));
  // The files are judged whatever the kubeconfig is: an expired server.crt is never hidden by it.
  let loaded: LoadedConfig | undefined;
  try {
    loaded = setup.config(args);
  } catch (err) {
    unreadable.push({ where: 'kubeconfig', why: reasonOf(err) });
  }
  const user = loaded?.kc.getCurrentUser();
  if (user) read({ kind: 'kubeconfig', user: user.name }, () => kubeconfigUserCerts(user));
  const servers = apiServers(loaded?.server, args);
  deadline.activity = `reading the certificates of ${plural(servers.length, 'API server')}`;
  const served = await fanOut(servers, deadline, (s, part) => {
    part.activity = `reading the certificate ${new URL(s).host} serves`;
    return servedCert(s, part.signal);
  });
  for (const r of served) {
    if (r.ok) certs.push(r.value);
    else unreadable.push({ where: wordsOf({ kind: 'served', host: new URL(r.target).host }), why: reasonOf(r.error) });
  }
  return { now: Date.now(), certs, unreadable, notes };
}

export const check: CheckDefinition<CertArgs> = {
  name: 'CERTS',
  command: 'check_certs',
  description:
    "days until the node's MicroK8s certificates, dqlite's cluster.crt, each API server's and " +
    "the kubeconfig's expire (the soonest: min_days)",
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'days',
  options: (y) => certOptions(y),
  examples: [
    ['check_certs', "this node's certificates, its API server's and the kubeconfig's"],
    [
      'check_certs --server https://10.0.0.12:16443 --server https://10.0.0.13:16443 -w 60:',
      'also what the other nodes serve; WARNING 60 days ahead',
    ],
  ],
  async run({ args, warning, critical, deadline, shared }) {
    return evaluate(await gather(args, deadline, shared?.kube?.setup), { warning, critical });
  },
};
