// What renews each MicroK8s certificate, written once so the advice a check prints follows what
// `microk8s refresh-certs` really does (MicroK8s' scripts/wrappers/refresh_certs.py and
// actions/common/utils.sh): --cert takes ca.crt, server.crt and front-proxy-client.crt only.
// --cert ca.crt deletes ca.crt and csr.conf and runs produce_certs: a new CA (same key), which
// makes server.crt and front-proxy-client.crt anew, and front-proxy-ca.crt only if it is missing;
// with x509 client auth it also reissues the component certificates and kubeconfigs. dqlite's
// backend/cluster.crt is made once by init_cluster and copied to each joining node: nothing renews it.
import { basename } from 'node:path';
import type { Cert, CertSource } from './sources/certs.ts';

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
export function remedy(source: CertSource): string {
  if (source.kind === 'served') return "it is that node's server.crt: sudo microk8s refresh-certs --cert server.crt on it";
  if (source.kind === 'kubeconfig') return 'issue a new client certificate for this kubeconfig user (or use its token)';
  const { path } = source;
  const name = basename(path);
  if (COMPONENT_CERTS.has(name)) return `refresh-certs has no --cert for ${name}: ${CA_REISSUE} reissues it with the others it signs`;
  switch (name) {
    case 'ca.crt':
      return (
        `${CA_REISSUE}, which also renews server.crt, front-proxy-client.crt and the component ` +
        `client certificates, not front-proxy-ca.crt`
      );
    case 'front-proxy-ca.crt':
      return (
        `refresh-certs makes it only when it is missing: move it aside (sudo mv ${path} ` +
        `${path}.old), then ${CA_REISSUE}. --cert front-proxy-client.crt signs with the old one`
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

/** What the gate's TLS checks on the API server: its serving certificate and the CA that signed it. */
const servesApi = (source: CertSource) =>
  source.kind === 'served' || (source.kind === 'file' && ['server.crt', 'ca.crt'].includes(basename(source.path)));

/**
 * refresh-certs restarts kubelite (and a new CA everything): the same certificate expires alike on
 * every node, so the renewals are kubelite restarts in a row, which the runbook paces as any other.
 * The gate paces them while the API server's certificate is good; once it has expired the gate's
 * TLS refuses the API server and it says NO-GO for good: then a node's own readiness paces them.
 * `renewing`: each certificate to renew, with its days left (below 0: expired).
 */
export function pacedRenewals(renewing: { c: Pick<Cert, 'source'>; days: number }[]): string[] {
  const renewed = renewing.filter(({ c }) => remedy(c.source).includes('microk8s refresh-certs'));
  if (!renewed.length) return [];
  const refused = renewed.some(({ c, days }) => servesApi(c.source) && days < 0);
  return [
    'refresh-certs restarts kubelite: one node at a time, each only when check_restart_preflight --node NODE says GO ' +
      '(restarts in a row flood the single dqlite writer).',
    ...(refused
      ? [
          "Where the API server's own certificate or its CA has expired, check_restart_preflight cannot reach it and says " +
            'NO-GO: renew on one node, then on the next only once sudo microk8s status --wait-ready answers on the one before.',
        ]
      : []),
  ];
}
