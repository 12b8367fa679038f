import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certs {
  dir: string;
  ca: string;
  serverKey: string;
  serverCert: string;
}

/** A fresh CA and a server certificate for the given IPs, made with openssl for this run. */
export function makeCerts(ips: string[] = ['127.0.0.1']): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-certs-'));
  const p = (f: string) => join(dir, f);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=microk8s-checks-test-ca');
  ossl('req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=kube-apiserver');
  writeFileSync(p('ext.cnf'), `subjectAltName=${[...ips.map((ip) => `IP:${ip}`), 'DNS:localhost', 'DNS:kubernetes.default.svc'].join(',')}\n`);
  ossl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('ext.cnf'));
  return { dir, ca: readFileSync(p('ca.crt'), 'utf8'), serverKey: readFileSync(p('server.key'), 'utf8'), serverCert: readFileSync(p('server.crt'), 'utf8') };
}

/** A kubeconfig file as `microk8s config` writes one, with a bearer token user. */
export function writeKubeconfig(dir: string, server: string, ca: string, token: string, name = 'kubeconfig'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from(ca).toString('base64')}
    server: ${server}
  name: microk8s-cluster
contexts:
- context:
    cluster: microk8s-cluster
    user: nagios
  name: microk8s
current-context: microk8s
kind: Config
preferences: {}
users:
- name: nagios
  user:
    token: ${token}
`,
    { mode: 0o644 },
  );
  return file;
}
