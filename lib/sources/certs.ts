import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { User } from '@kubernetes/client-node';
import { lookup } from '../dns.ts';
import { ReasonedError } from '../errors.ts';
import { deniedAt, FileError, readSmallFile } from '../files.ts';

export const MICROK8S_CERT_DIR = '/var/snap/microk8s/current/certs';

export class CertError extends ReasonedError {
  override readonly name = 'CertError';
}

/**
 * Where a certificate was read: the one fact its words (wordsOf), its perfdata label
 * (lib/cert-label.ts) and what renews it (lib/refresh-certs.ts) are each made from.
 */
export type CertSource =
  | { kind: 'file'; path: string }
  /** host: host:port as the server's URL gives it (an IPv6 address in brackets). */
  | { kind: 'served'; host: string }
  | { kind: 'kubeconfig'; user: string };

/** How a user reads a certificate's source: the file's path, "served by host:port", "kubeconfig user <name>". */
export function wordsOf(source: CertSource): string {
  switch (source.kind) {
    case 'file':
      return source.path;
    case 'served':
      return `served by ${source.host}`;
    case 'kubeconfig':
      return `kubeconfig user ${source.user}`;
  }
}

/** One certificate as read: where it came from, whom it names, when it stops being valid. */
export interface Cert {
  source: CertSource;
  subject: string;
  issuer: string;
  /** Before this it is not valid either: a peer checking it now rejects it. */
  notBefore: number;
  notAfter: number;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM file (a chain has several), or the one a DER file holds. */
export function parseCerts(data: Buffer, source: CertSource): Cert[] {
  const where = wordsOf(source);
  const text = data.toString('latin1');
  const blocks = text.match(PEM) ?? [];
  // A chain cut short (a copy on a full disk) ends in a certificate begun and never ended: the
  // ones before it parse, and the cut one, maybe the soonest to expire, would go unjudged.
  if (text.split('-----BEGIN CERTIFICATE-----').length - 1 > blocks.length)
    throw new CertError(`${where} holds a certificate cut short (a BEGIN CERTIFICATE line with no END CERTIFICATE after it)`, {
      // No '|' (printed as '¦': it would start perfdata): storeutl lists the certificates read and fails on the cut one.
      fix: `check the file: openssl storeutl -noout -certs ${source.kind === 'file' ? pasteable(source.path) : 'FILE'}`,
    });
  try {
    const parsed = blocks.length ? blocks.map((b) => new X509Certificate(b)) : [new X509Certificate(data)];
    return parsed.map((c) => ({
      source,
      subject: oneLine(c.subject),
      issuer: oneLine(c.issuer),
      notBefore: c.validFromDate.getTime(),
      notAfter: c.validToDate.getTime(),
    }));
  } catch (err) {
    throw new CertError(`${where} is not a certificate that can be read`, {
      cause: err,
      fix: 'check the file (openssl x509 -noout -enddate -in FILE)',
    });
  }
}

/** A path as a shell reads it back: as it is where it holds no character a shell treats specially. */
const pasteable = (path: string) => (/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`);

const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

/** A certificate file, read bounded (a certificate is a few KiB). */
export function readCertFile(path: string): Cert[] {
  return parseCerts(readSmallFile(path, 'certificate', 1024 * 1024), { kind: 'file', path });
}

/** The client certificate a kubeconfig user carries, inline or as a file; a token user has none. */
export function kubeconfigUserCerts(user: User): Cert[] {
  const source: CertSource = { kind: 'kubeconfig', user: user.name };
  if (user.certData) return parseCerts(Buffer.from(user.certData, 'base64'), source);
  return user.certFile ? readCertFile(user.certFile).map((c) => ({ ...c, source })) : [];
}

/** The *.crt files of a directory (MicroK8s keeps its certificates and keys side by side; keys are never read). */
export function certFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CertError(`no certificate directory ${dir}`, { fix: 'run on a MicroK8s node or give --cert-dir' });
    if (code === 'ENOTDIR')
      throw new CertError(`certificate directory ${dir} is a file, not a directory`, {
        fix: 'give --cert-dir the directory, --cert a file',
      });
    if (code === 'EACCES' || code === 'EPERM') {
      const d = deniedAt(dir);
      throw new CertError(`cannot read the certificate directory ${dir}: ${d.why}`, { fix: d.fix });
    }
    throw new CertError(`cannot read the certificate directory ${dir} (${code})`, { cause: err });
  }
  return names
    .filter((n) => n.endsWith('.crt'))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * dqlite's cluster certificate in a backend directory (MicroK8s makes it for 10 years; every
 * control-plane node has the same one). Undefined where the backend directory does not exist at
 * all: a worker runs no dqlite. A backend without it, or one that cannot be read, throws.
 */
export function clusterCertIn(backend: string): Cert[] | undefined {
  const file = join(backend, 'cluster.crt');
  try {
    return readCertFile(file);
  } catch (err) {
    if (err instanceof FileError && err.missing && !existsSync(backend)) return undefined;
    throw err;
  }
}

/**
 * The certificate a TLS server presents, from a handshake: nothing is sent, and it is not
 * verified (this reads its dates, it does not trust it).
 */
export function servedCert(origin: string, signal: AbortSignal): Promise<Cert> {
  const url = new URL(origin);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const source: CertSource = { kind: 'served', host: url.host };
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, lookup, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
    const stop = () => socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', stop));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      socket.destroy();
      if (!peer) return reject(new CertError(`${url.host} presented no certificate`));
      resolve({
        source,
        subject: oneLine(peer.subject),
        issuer: oneLine(peer.issuer),
        notBefore: peer.validFromDate.getTime(),
        notAfter: peer.validToDate.getTime(),
      });
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(
        signal.aborted
          ? err
          : new CertError(`no TLS handshake with ${url.host}`, { cause: err, fix: 'check that kubelite runs there (microk8s status)' }),
      );
    });
  });
}
