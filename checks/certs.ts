// Beside the runbook: a MicroK8s cluster stops when its server certificates expire, until
// `microk8s refresh-certs` is run, and `microk8s inspect` only warns about the CA. This check
// reads every certificate of the node (the files MicroK8s keeps, and dqlite's cluster.crt in the
// backend, whose expiry stops replication), the one each API server really serves, and the
// kubeconfig's client certificate, and says how many days the soonest has left.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { kubeOptions, serverOptions, serverUrls, type KubeArgs, type ServerArgs } from '../lib/options/kube.ts';
import type { Deadline } from '../lib/plugin/deadline.ts';
import { fanOut } from '../lib/plugin/fanout.ts';
import { thresholdsOf, type Thresholds } from '../lib/plugin/range.ts';
import { reasonOf, type CheckDefinition } from '../lib/plugin/runner.ts';
import { State } from '../lib/plugin/state.ts';
import { ScalarContext, Verdict, type Outcome } from '../lib/plugin/verdict.ts';
import {
  CertError,
  certFilesIn,
  type Cert,
  clusterCertIn,
  MICROK8S_CERT_DIR,
  parseCerts,
  readCertFile,
  servedCert,
} from '../lib/sources/certs.ts';
import { BACKEND_IN_SNAP_DATA, backendFiles, DQLITE_BACKEND } from '../lib/sources/dqlite.ts';
import { isWorker, LOCKS, type NodeLocks, readLocks, runsDqlite, SNAP_DATA } from '../lib/sources/snap-locks.ts';
import type { LoadedConfig } from '../lib/sources/kube/config.ts';
import { KubeSetup } from '../lib/sources/kube/setup.ts';
import { isoSeconds, plural } from '../lib/text.ts';

interface Args extends KubeArgs, ServerArgs {
  'cert-dir': string;
  cert?: string[];
  /** Unset: MicroK8s' backend, where a worker has none (not a finding); given: it must be there. */
  'backend-dir'?: string;
  /** Whose lock files say whether this node runs dqlite, and whose backend is the default. */
  'snap-data': string;
}

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

// What `microk8s refresh-certs` really does (MicroK8s' scripts/wrappers/refresh_certs.py and
// actions/common/utils.sh): --cert takes ca.crt, server.crt and front-proxy-client.crt only.
// --cert ca.crt deletes ca.crt and csr.conf and runs produce_certs: a new CA (same key), which
// makes server.crt and front-proxy-client.crt anew, and front-proxy-ca.crt only if it is missing;
// with x509 client auth it also reissues the component certificates and kubeconfigs. dqlite's
// backend/cluster.crt is made once by init_cluster and copied to each joining node: nothing renews it.
const CA_REISSUE = 'sudo microk8s refresh-certs --cert ca.crt (a new CA: every other node must then leave and re-join)';
const COMPONENT_CERTS = new Set([
  'kubelet.crt',
  'client.crt',
  'proxy.crt',
  'scheduler.crt',
  'controller.crt',
  'apiserver-kubelet-client.crt',
]);

/** What renews a certificate, as MicroK8s names them, and what else that renews. */
export function remedy(where: string): string {
  if (where.startsWith('served by ')) return "it is that node's server.crt: sudo microk8s refresh-certs --cert server.crt on it";
  if (where.startsWith('kubeconfig user ')) return 'issue a new client certificate for this kubeconfig user (or use its token)';
  const name = basename(where);
  if (COMPONENT_CERTS.has(name)) return `refresh-certs has no --cert for ${name}: ${CA_REISSUE} reissues it with the others it signs`;
  switch (name) {
    case 'ca.crt':
      return (
        `${CA_REISSUE}, which also renews server.crt, front-proxy-client.crt and the component ` +
        `client certificates, not front-proxy-ca.crt`
      );
    case 'front-proxy-ca.crt':
      return (
        `refresh-certs makes it only when it is missing: move it aside (sudo mv ${where} ` +
        `${where}.old), then ${CA_REISSUE}. --cert front-proxy-client.crt signs with the old one`
      );
    case 'server.crt':
      return 'sudo microk8s refresh-certs --cert server.crt (the same CA, restarts kubelite and cluster-agent)';
    case 'front-proxy-client.crt':
      return 'sudo microk8s refresh-certs --cert front-proxy-client.crt (signed by front-proxy-ca.crt, restarts kubelite)';
    case 'cluster.crt':
      return (
        'refresh-certs does not renew it: every control-plane node shares this dqlite certificate ' +
        'and its key (a joining node copies them), so a new pair is made once, put in the backend ' +
        'of every control-plane node and k8s-dqlite restarted on all of them. dqlite replication ' +
        'stops when it expires'
      );
    default:
      return 'renew it where it was issued';
  }
}

/** A perfdata label for a certificate: the file's name, or the server it was served by. */
function labelOf(where: string): string {
  const name = where.startsWith('served by ')
    ? `served_${where.slice(10)}`
    : where.startsWith('kubeconfig user ')
      ? 'client'
      : basename(where).replace(/\.crt$/, '');
  return `days_${name.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

export function evaluate(f: CertFacts, { warning, critical }: Thresholds): Outcome {
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
  // Not yet valid is as broken as expired: a peer checking it now rejects it, whatever the days left.
  const early = f.certs.filter((c) => c.notBefore > f.now);
  for (const c of early) v.find(State.CRITICAL, `${c.where} not valid until ${isoSeconds(c.notBefore)}`);
  for (const u of f.unreadable) v.find(State.UNKNOWN, `${u.where}: ${u.why}`);
  if (f.certs.length === 0 && f.unreadable.length === 0) v.find(State.UNKNOWN, 'no certificate found to judge');
  for (const { c, days, state } of byExpiry) {
    v.detail(`${c.where}: ${c.subject}, expires ${isoSeconds(c.notAfter)} (${plural(days, 'day')})`);
    if (state !== State.OK) v.detail(`  renew: ${remedy(c.where)}`);
    if (early.includes(c))
      v.detail(
        `  not valid until ${isoSeconds(c.notBefore)}: the clock where it was made runs ahead, or ` +
          `this host's behind (check both, timedatectl)`,
      );
  }
  v.detail(...(f.notes ?? []));
  const head = soonest ? `${plural(f.certs.length, 'certificate')}, soonest ${soonest.c.where} in ${plural(soonest.days, 'day')}` : '';
  return v.conclude(head, { problems: 'before' });
}

/** Every certificate: the node's files, those given, each API server's, the kubeconfig's own. */
export async function gather(args: Args, deadline: Deadline, setup = new KubeSetup()): Promise<CertFacts> {
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
  const notes: string[] = [];
  const backend = args['backend-dir'] ?? join(args['snap-data'], BACKEND_IN_SNAP_DATA);
  read(join(backend, 'cluster.crt'), () => backendCerts(backend, args['backend-dir'] !== undefined, args['snap-data'], notes));
  // The files are judged whatever the kubeconfig is: an expired server.crt is never hidden by it.
  let loaded: LoadedConfig | undefined;
  try {
    loaded = setup.config(args);
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
  return { now: Date.now(), certs, unreadable, notes };
}

/**
 * dqlite's cluster.crt. A directory given with --backend-dir is judged, and must be there. The
 * default one is judged where the node runs dqlite: a worker (its lock files say no-k8s-dqlite)
 * runs none of its own, so a cluster.crt left from before it joined is in use nowhere; a node
 * with no backend at all is no finding either. Both are said in the long output. Lock files that
 * cannot be read leave the certificate judged: an alarm for an unused one is the safer mistake.
 */
function backendCerts(backend: string, given: boolean, snapData: string, notes: string[]): Cert[] {
  if (!given) {
    const locks = nodeLocks(snapData);
    if (locks && !runsDqlite(locks)) {
      const why = `${LOCKS.noDqlite}: ${isWorker(locks) ? 'a worker' : 'external datastore'}`;
      notes.push(
        `${join(backend, 'cluster.crt')} not judged: this node runs no dqlite of its own (${why}), so its cluster.crt is in use nowhere`,
      );
      return [];
    }
  }
  // A dqlite without TLS (dqlite-demo, a test cluster) keeps neither half of the pair: nothing of
  // it can expire. The CLI's rule (lib/sources/dqlite.ts, planCli); one half alone stays UNKNOWN.
  const f = backendFiles(backend);
  if (existsSync(f.clusterYaml) && !existsSync(f.crt) && !existsSync(f.key)) {
    notes.push(`dqlite without TLS: no cluster.crt or cluster.key in ${backend}, no dqlite certificate to judge`);
    return [];
  }
  const found = clusterCertIn(backend);
  if (found) return found;
  if (given) throw new CertError(`no dqlite backend directory ${backend}`, { fix: 'check --backend-dir' });
  notes.push(`no dqlite backend at ${backend} (a worker node runs no dqlite): cluster.crt not judged`);
  return [];
}

/** The node's lock files, or undefined where they cannot be read (no $SNAP_DATA, no access). */
function nodeLocks(snapData: string): NodeLocks | undefined {
  try {
    return readLocks(snapData);
  } catch {
    return undefined;
  }
}

export const check: CheckDefinition<Args> = {
  name: 'CERTS',
  command: 'check_certs',
  description:
    "days until the node's MicroK8s certificates, dqlite's cluster.crt, each API server's and " +
    "the kubeconfig's expire (the soonest: min_days)",
  defaultWarning: defaults.warning,
  defaultCritical: defaults.critical,
  thresholdUnit: 'days',
  options: (y) =>
    serverOptions(kubeOptions(y))
      .option('cert-dir', { type: 'string', default: MICROK8S_CERT_DIR, describe: 'directory whose *.crt files are read (keys never are)' })
      .option('cert', { type: 'string', array: true, describe: 'also this certificate file (PEM or DER; repeatable)' })
      .option('backend-dir', {
        type: 'string',
        describe: `dqlite backend directory whose cluster.crt is read (default ${DQLITE_BACKEND}; a worker's is not read)`,
      })
      .option('snap-data', {
        type: 'string',
        default: SNAP_DATA,
        describe: "MicroK8s' $SNAP_DATA: its var/lock files say whether this node runs dqlite; the default backend is in it",
      }),
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
