// Beside the runbook: a MicroK8s cluster stops when its server certificates expire, until
// `microk8s refresh-certs` is run, and `microk8s inspect` only warns about the CA. This check
// reads every certificate of the node (the files MicroK8s keeps), the one each API server really
// serves, and the kubeconfig's client certificate, and says how many days the soonest has left.
import { basename } from 'node:path';
import { kubeOptions, serverOptions, serverUrls, type KubeArgs, type ServerArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { fanOut } from '../lib/plugin/fanout.ts';
import type { Range } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import { certFilesIn, type Cert, MICROK8S_CERT_DIR, parseCerts, readCertFile, servedCert } from '../lib/sources/certs.ts';
import { loadKubeConfig } from '../lib/sources/kube/client.ts';
import { isoSeconds, plural } from '../lib/text.ts';

interface Args extends KubeArgs, ServerArgs {
  'cert-dir': string;
  cert?: string[];
}

export interface CertFacts {
  now: number;
  certs: Cert[];
  /** Certificates that could not be read, each named: never judged as fine. */
  unreadable: { where: string; why: string }[];
}

export const defaults = { warning: '30:', critical: '7:' };

const DAY = 86_400_000;

/** What renews a certificate, as MicroK8s names them (`microk8s refresh-certs --cert` takes three). */
export function remedy(where: string): string {
  if (where.startsWith('served by ')) return "it is that node's server.crt: sudo microk8s refresh-certs --cert server.crt on it";
  if (where.startsWith('kubeconfig user ')) return 'issue a new client certificate for this kubeconfig user (or use its token)';
  switch (basename(where)) {
    case 'ca.crt':
    case 'front-proxy-ca.crt':
      return 'sudo microk8s refresh-certs --cert ca.crt (every other node must then leave and re-join)';
    case 'server.crt':
      return 'sudo microk8s refresh-certs --cert server.crt';
    case 'front-proxy-client.crt':
      return 'sudo microk8s refresh-certs --cert front-proxy-client.crt';
    case 'kubelet.crt':
      return 'refresh-certs does not renew it: MicroK8s writes a new kubelet.crt and kubelet.key when both are missing as kubelite starts';
    default:
      return 'renew it where it was issued';
  }
}

/** A perfdata label for a certificate: the file's name, or the server it was served by. */
const labelOf = (where: string) =>
  `days_${(where.startsWith('served by ') ? `served_${where.slice(10)}` : where.startsWith('kubeconfig user ') ? 'client' : basename(where).replace(/\.crt$/, '')).replace(/[^A-Za-z0-9]+/g, '_')}`;

export function evaluate(f: CertFacts, warning?: Range, critical?: Range): Outcome {
  const v = new Verdict(check.name);
  const context = new ScalarContext(warning, critical);
  // Each certificate judged once, by the same ranges as min_days, soonest first.
  const judged = f.certs.map((c) => {
    const days = Math.floor((c.notAfter - f.now) / DAY);
    return { c, days, state: context.evaluate({ label: 'days', value: days }) };
  });
  const byExpiry = judged.toSorted((a, b) => a.c.notAfter - b.c.notAfter);
  const soonest = byExpiry[0];
  v.measure({ label: 'min_days', value: soonest ? soonest.days : NaN }, context);
  const labels = new Set<string>();
  for (const { c, days } of judged) {
    const label = labelOf(c.where);
    if (!labels.has(label)) v.measure({ label, value: days });
    labels.add(label);
  }
  for (const { c, days: d, state } of byExpiry) {
    if (state !== State.OK) v.find(state, `${c.where} ${d < 0 ? `expired ${plural(-d, 'day')} ago` : `expires in ${plural(d, 'day')}`}`);
  }
  for (const u of f.unreadable) v.find(State.UNKNOWN, `${u.where}: ${u.why}`);
  if (f.certs.length === 0 && f.unreadable.length === 0) v.find(State.UNKNOWN, 'no certificate found to judge');
  for (const { c, days, state } of byExpiry) {
    v.detail(`${c.where}: ${c.subject}, expires ${isoSeconds(c.notAfter)} (${plural(days, 'day')})`);
    if (state !== State.OK) v.detail(`  renew: ${remedy(c.where)}`);
  }
  const head = soonest ? `${plural(f.certs.length, 'certificate')}, soonest ${soonest.c.where} in ${plural(soonest.days, 'day')}` : '';
  const problems = v.problems();
  if (problems.length) return v.outcome(`${problems.join(', ')}${head ? ` (${head})` : ''}`);
  return v.outcome(head);
}

/** Every certificate: the node's files, those given, each API server's, the kubeconfig's own. */
export async function gather(args: Args, deadline: Deadline): Promise<CertFacts> {
  const certs: Cert[] = [];
  const unreadable: CertFacts['unreadable'] = [];
  const read = (where: string, get: () => Cert[]) => {
    try {
      certs.push(...get());
    } catch (err) {
      unreadable.push({ where, why: reasonOf(err) });
    }
  };
  const files = [...certFilesIn(args['cert-dir']), ...(args.cert ?? [])];
  for (const file of files) read(file, () => readCertFile(file));
  // The files are judged whatever the kubeconfig is: an expired server.crt is never hidden by it.
  let loaded: ReturnType<typeof loadKubeConfig> | undefined;
  try {
    loaded = loadKubeConfig(args);
  } catch (err) {
    unreadable.push({ where: 'kubeconfig', why: reasonOf(err) });
  }
  const user = loaded?.kc.getCurrentUser();
  if (user?.certData)
    read(`kubeconfig user ${user.name}`, () => parseCerts(Buffer.from(user.certData!, 'base64'), `kubeconfig user ${user.name}`));
  else if (user?.certFile)
    read(`kubeconfig user ${user.name}`, () => readCertFile(user.certFile!).map((c) => ({ ...c, where: `kubeconfig user ${user.name}` })));
  const servers = [...(loaded ? [loaded.server] : []), ...serverUrls(args)];
  deadline.activity = `reading the certificates of ${plural(servers.length, 'API server')}`;
  const served = await fanOut(servers, deadline, (s, part) => {
    part.activity = `reading the certificate ${new URL(s).host} serves`;
    return servedCert(s, part.signal);
  });
  for (const r of served) {
    if (r.ok) certs.push(r.value);
    else unreadable.push({ where: `served by ${new URL(r.target).host}`, why: reasonOf(r.error) });
  }
  return { now: Date.now(), certs, unreadable };
}

export const check: CheckDefinition<Args> = {
  name: 'CERTS',
  command: 'check_certs',
  description: "days until the node's MicroK8s certificates, each API server's and the kubeconfig's expire (the soonest: min_days)",
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'days',
  options: (y) =>
    serverOptions(kubeOptions(y))
      .option('cert-dir', { type: 'string', default: MICROK8S_CERT_DIR, describe: 'directory whose *.crt files are read (keys never are)' })
      .option('cert', { type: 'string', array: true, describe: 'also this certificate file (PEM or DER; repeatable)' }),
  examples: [
    ['check_certs', "this node's certificates, its API server's and the kubeconfig's"],
    [
      'check_certs --server https://10.0.0.12:16443 --server https://10.0.0.13:16443 -w 60:',
      'also what the other nodes serve; WARNING 60 days ahead',
    ],
  ],
  async run({ args, warning, critical, deadline }) {
    return evaluate(await gather(args, deadline), warning, critical);
  },
};
