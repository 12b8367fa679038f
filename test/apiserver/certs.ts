import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certs {
  dir: string;
  ca: string;
  serverKey: string;
  serverCert: string;
  /** A client certificate for user `nagios` signed by the same CA, as files (MicroK8s' x509 kubeconfigs point at files). */
  clientCertFile: string;
  clientKeyFile: string;
}

/** A fresh CA, a server certificate for the given IPs and a client certificate, made with openssl for this run, valid `days`. */
export function makeCerts(ips: string[] = ['127.0.0.1'], days = 2): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-certs-'));
  const p = (f: string) => join(dir, f);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', String(days), '-subj', '/CN=microk8s-checks-test-ca');
  ossl('req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=kube-apiserver');
  writeFileSync(
    p('ext.cnf'),
    `subjectAltName=${[...ips.map((ip) => `IP:${ip}`), 'DNS:localhost', 'DNS:kubernetes.default.svc'].join(',')}\n`,
  );
  ossl(
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.crt'),
    '-days',
    String(days),
    '-extfile',
    p('ext.cnf'),
  );
  // As the API server's --client-ca-file reads it: CN is the user name, O a group.
  ossl('req', ...ec, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/O=monitoring/CN=nagios');
  writeFileSync(p('client.cnf'), 'extendedKeyUsage=clientAuth\n');
  ossl(
    'x509',
    '-req',
    '-in',
    p('client.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('client.crt'),
    '-days',
    String(days),
    '-extfile',
    p('client.cnf'),
  );
  return {
    dir,
    clientCertFile: p('client.crt'),
    clientKeyFile: p('client.key'),
    ca: readFileSync(p('ca.crt'), 'utf8'),
    serverKey: readFileSync(p('server.key'), 'utf8'),
    serverCert: readFileSync(p('server.crt'), 'utf8'),
  };
}

/**
 * A kubeconfig file as `microk8s config` writes one, with a bearer token user; or, given
 * certificate and key files, as MicroK8s' client-x509.config template does.
 */
export function writeKubeconfig(
  dir: string,
  server: string,
  ca: string,
  user: string | { certFile: string; keyFile: string } | { exec: string },
  name = 'kubeconfig',
): string {
  const file = join(dir, name);
  const credentials =
    typeof user === 'string'
      ? `token: ${user}`
      : 'exec' in user
        ? `exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${user.exec}\n  ` +
          `    interactiveMode: Never\n      provideClusterInfo: false`
        : `client-certificate: ${user.certFile}\n    client-key: ${user.keyFile}`;
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
    ${credentials}
`,
    { mode: 0o644 },
  );
  return file;
}

/** `openssl req` arguments for a new unencrypted P-256 key, followed by the key's path. */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout'];

/** A self-signed certificate valid for `days`, written as a MicroK8s certificate file would be. */
export function certFile(dir: string, name: string, days: number, cn = name.replace(/\.crt$/, ''), keyDir = dir): string {
  const key = join(keyDir, `${name}.key`);
  const crt = join(dir, name);
  execFileSync('openssl', ['req', '-x509', ...NEW_EC_KEY, key, '-out', crt, '-days', String(days), '-subj', `/CN=${cn}`], {
    stdio: 'ignore',
  });
  return crt;
}

/**
 * A self-signed certificate valid from `notBefore` for `days`. OpenSSL 3.0 has no -not_before for
 * req or x509; `openssl ca -selfsign` takes -startdate, with a throwaway CA database.
 */
export function certFileFrom(dir: string, name: string, notBefore: Date, days: number, cn = name.replace(/\.crt$/, '')): string {
  const work = mkdtempSync(join(tmpdir(), 'mk8s-ca-'));
  const p = (f: string) => join(work, f);
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('serial'), '01\n');
  writeFileSync(
    p('ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${p('index.txt')}\nserial = ${p('serial')}\n` +
      `new_certs_dir = ${work}\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\n` +
      `commonName = supplied\n`,
  );
  const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ossl('req', '-new', ...NEW_EC_KEY, p('key'), '-out', p('csr'), '-subj', `/CN=${cn}`);
  const crt = join(dir, name);
  const end = new Date(notBefore.getTime() + days * 86_400_000);
  ossl(
    'ca',
    '-batch',
    '-config',
    p('ca.cnf'),
    '-selfsign',
    '-keyfile',
    p('key'),
    '-in',
    p('csr'),
    '-startdate',
    stamp(notBefore),
    '-enddate',
    stamp(end),
    '-notext',
    '-out',
    crt,
  );
  return crt;
}
