import type https from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';

/** What of a request's TLS options makes its secure context: the kubeconfig's CA, client certificate and key. */
export type TlsMaterial = Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase'>;

const FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase'] as const;

/** The same bytes, however given: client-node reads the kubeconfig's files anew for each request. */
function samePart(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const bytes = (v: unknown) => (typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : undefined);
  const x = bytes(a);
  const y = bytes(b);
  return x !== undefined && y !== undefined && x.equals(y);
}

// No CA given (Node's own roots) is not an empty list of CAs (none trusted).
function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = Array.isArray(a) ? a : [a];
  const y = Array.isArray(b) ? b : [b];
  return x.length === y.length && x.every((v, i) => samePart(v, y[i]));
}

/**
 * One TLS secure context per set of credentials, for every connection made with them. Left to
 * itself, Node builds a context for each connection it opens: the CA, the client certificate and
 * its key parsed each time (about a millisecond with an RSA key), and `microk8s-checks all` opens
 * six. A credential plugin that hands out a new certificate is other material, so another context
 * (and another pool of connections: the agent's pool key holds the certificate).
 */
export class SecureContexts {
  // A few: the credentials of the kubeconfig's user, and those a plugin renewed meanwhile.
  private readonly made: { material: TlsMaterial; context: SecureContext }[] = [];

  for(options: TlsMaterial): SecureContext {
    const material: TlsMaterial = {};
    for (const f of FIELDS) if (options[f] !== undefined) Object.assign(material, { [f]: options[f] });
    const known = this.made.find((m) => FIELDS.every((f) => same(m.material[f], material[f])));
    if (known) return known.context;
    const context = createSecureContext(material);
    this.made.unshift({ material, context });
    this.made.length = Math.min(this.made.length, 4);
    return context;
  }
}

/** The contexts of this process: every transport to every API server with the same credentials uses one. */
export const secureContexts = new SecureContexts();
