import { ApiException } from '@kubernetes/client-node';
import { ReasonedError } from '../../errors.ts';
import type { RequestPolicy } from './request.ts';

/**
 * The read-only ServiceAccount the fixes point to, where a user has it: in the source tree, or
 * installed by the package (the fix is read on a node, where there is no source tree).
 */
/** The fix for an answer lost on the way (cut off, or never given on a connection the server took). */
export const ANSWER_LOST =
  'run the check again; if it repeats, check kubelite (microk8s status) and any proxy between here and the API server';

export const RBAC_YAML = '/usr/share/doc/microk8s-checks/examples/rbac.yaml or nrpe/rbac.yaml of the source';

// What the API server (or whatever answers in its place) said when a request failed, and the one
// place that turns a failed request into a KubeError saying what, why and how to fix it.

/** What answered an HTTP error: kube-apiserver's own Status object, or something else (a proxy's page). */
export interface ErrorAnswer {
  contentType: string;
  bytes: number;
  /** The body as kube-apiserver words an error (kind Status), when it is one. */
  apiStatus?: ApiStatus;
  /** kube-apiserver's own rate limit (API Priority and Fairness): its plain-text reason, never a Status. */
  rateLimited?: string;
}

/** A kube-apiserver Status, the parts a check may decide by. */
export interface ApiStatus {
  reason: string;
  message: string;
  /** details.causes[].reason, e.g. ResourceVersionTooLarge. */
  causes: string[];
}

export class KubeError extends ReasonedError {
  override readonly name = 'KubeError';
  constructor(
    message: string,
    options: { cause?: unknown; fix?: string } = {},
    readonly status?: number,
    readonly answer?: ErrorAnswer,
  ) {
    super(message, options);
  }
}

/** The Status object in an error body, or undefined when the body is not kube-apiserver's (HTML, plain text). */
export function apiStatusOf(body: unknown): ApiStatus | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!isObject(value) || value.kind !== 'Status') return undefined;
  const details = isObject(value.details) ? value.details : {};
  const causes = Array.isArray(details.causes) ? details.causes : [];
  return {
    reason: typeof value.reason === 'string' ? value.reason : '',
    message: typeof value.message === 'string' ? value.message : '',
    causes: causes.flatMap((c) => (isObject(c) && typeof c.reason === 'string' ? [c.reason] : [])),
  };
}

const APF_TEXT = 'Too many requests, please try again later.';

/**
 * kube-apiserver refusing a request for load (API Priority and Fairness, or max-in-flight where
 * APF is off) writes no Status but a line of plain text, and APF names the flow schema and
 * priority level that refused it in headers of its own: the text, when it is that answer.
 */
function rateLimitOf(err: ApiException<unknown>): string | undefined {
  if (err.code !== 429) return undefined;
  const headers = err.headers ?? {};
  const text = typeof err.body === 'string' ? err.body.trim() : '';
  const apf = Object.keys(headers).some((h) => h.toLowerCase().startsWith('x-kubernetes-pf-'));
  const plain = headers['content-type']?.startsWith('text/plain') === true;
  return (apf || plain) && text === APF_TEXT ? text : undefined;
}

function answerOf(err: ApiException<unknown>): ErrorAnswer {
  const body = err.body;
  const bytes = typeof body === 'string' ? body.length : JSON.stringify(body ?? '').length;
  const contentType = err.headers?.['content-type']?.split(';')[0] || 'no content type';
  return { contentType, bytes, apiStatus: apiStatusOf(body), rateLimited: rateLimitOf(err) };
}

/** What a request asked for, in the words an RBAC rule uses. */
/**
 * The kind of each resource the checks read. The API server names it in every answer (a list is
 * its kind's List): an answer naming another was not what was asked for, however well formed
 * (a proxy or a stand-in answering every path with one NodeList read as no Jobs at all: OK).
 */
export const KINDS = {
  pods: 'Pod',
  nodes: 'Node',
  leases: 'Lease',
  namespaces: 'Namespace',
  jobs: 'Job',
  cronjobs: 'CronJob',
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  replicasets: 'ReplicaSet',
} as const;
export type ResourceName = keyof typeof KINDS;

/** The kind an answer about a resource must name; none for a path that is no resource (/readyz). */
export const kindOf = (r: Resource): string | undefined =>
  Object.hasOwn(KINDS, r.resource) ? KINDS[r.resource as ResourceName] : undefined;

export interface Resource {
  verb: 'get' | 'list';
  /** A resource, or a path that is no resource (/readyz, /livez). */
  resource: ResourceName | `/${string}`;
  group: string;
  namespace?: string;
}

export const describe = (r: Resource) =>
  `${r.verb} ${r.group ? `${r.resource}.${r.group}` : r.resource}${r.namespace ? ` in namespace ${r.namespace}` : ' at cluster scope'}`;

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|DEPTH_ZERO/;

/** A Node error code of a certificate or TLS failure, said as one by kubeError. */
export const isTlsCode = (code: string): boolean => TLS_CODES.test(code);

/** What to do about a 401: renew the credentials, or give some to a context that sends none (sendsNone). */
export const credentialsFix = (sendsNone?: string): string =>
  sendsNone === undefined
    ? 'renew the token or client certificate in the kubeconfig'
    : `context '${sendsNone}' of the kubeconfig sends no credentials: give it a user with a token, client certificate or exec plugin`;

/**
 * Where a fix sends the user for an API server's address: the kubeconfig's server, or the option
 * that gave this one (RequestPolicy.given: --server), which the kubeconfig does not hold.
 */
export const serverAddress = (given?: string): string =>
  given ? `the address given with ${given}` : 'the server address in the kubeconfig';

/**
 * An answer past the transport's size bound. The transport serves every server of the kubeconfig,
 * the kubeconfig's own and those given with --server alike: kubeError, told which, words the fix.
 */
export class OversizedAnswer extends Error {
  override readonly name = 'OversizedAnswer';
}

/** Turn whatever a request threw into a KubeError that says what, why and how to fix it. */
export function kubeError(
  err: unknown,
  what: Resource,
  { server, given, sendsNone }: Pick<RequestPolicy, 'server' | 'given' | 'sendsNone'>,
): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof OversizedAnswer) return new KubeError(err.message, { fix: `check what answers at ${serverAddress(given)}` });
  if (err instanceof ApiException) {
    const status = statusMessage(err.body) || rateLimitOf(err) || '';
    const code = err.code;
    if (code === 401)
      return new KubeError(
        `API server ${server} rejected ${sendsNone === undefined ? 'the credentials' : 'the request'} (401 Unauthorized)`,
        { fix: credentialsFix(sendsNone) },
        code,
      );
    if (code === 403)
      return new KubeError(
        `forbidden: cannot ${describe(what)} (403)`,
        { fix: `grant ${what.verb} on ${what.resource}: apply ${RBAC_YAML}, and use its ServiceAccount` },
        code,
      );
    // A list is never a 404 for its namespace (an empty one answers an empty list): the resource
    // is not served, or not at this address (a kubeconfig server ending in /api asks /api/api/v1).
    if (code === 404)
      return new KubeError(
        `not found: ${describe(what)} (404${status ? `: ${status}` : ''})`,
        {
          fix:
            what.verb === 'list'
              ? `check ${serverAddress(given)} (a path after its port comes before /api), and that the API server serves this resource`
              : 'check the namespace and that the API server serves this resource',
        },
        code,
      );
    if (code === 410)
      return new KubeError(
        `list of ${what.resource} expired twice while paging (410)`,
        { fix: 'rerun; the cluster is changing faster than the list can be read' },
        code,
      );
    if (code === 400)
      return new KubeError(`API server refused the request to ${describe(what)} (400${status ? `: ${status}` : ''})`, {}, code);
    return new KubeError(
      `API server ${server} answered ${code} to ${describe(what)}${status ? `: ${status}` : ''}`,
      { fix: code >= 500 || code === 429 ? 'the API server is overloaded or failing: check kubelite and k8s-dqlite' : undefined },
      code,
      answerOf(err),
    );
  }
  const cause = deepCause(err);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  // OpenSSL refusing our own certificate or key happens before anything reaches the server.
  if (code.startsWith('ERR_OSSL_') || /PEM routines|bad decrypt|key values mismatch/.test((cause as Error | undefined)?.message ?? '')) {
    return new KubeError(`the client certificate or key of the kubeconfig cannot be used (${code || 'OpenSSL'})`, {
      cause,
      fix: 'check its client-certificate and client-key (PEM files of one pair)',
    });
  }
  if (isTlsCode(code)) {
    return new KubeError(`TLS to ${server} failed: certificate problem (${code})`, {
      cause,
      fix: given
        ? `check certificate-authority-data in the kubeconfig and ${serverAddress(given)}`
        : 'check certificate-authority-data and the server address in the kubeconfig',
    });
  }
  // The connection was made and the request sent, then closed with no answer at all: the server
  // is there (unlike 'unreachable'), and dropped it (going down, a proxy, an overloaded kubelite).
  if (code === 'ECONNRESET' && (cause as Error).message === 'socket hang up') {
    return new KubeError(`API server ${server} closed the connection without answering the request to ${describe(what)}`, {
      cause,
      fix: ANSWER_LOST,
    });
  }
  if (code) {
    return new KubeError(`API server ${server} unreachable`, {
      cause,
      fix: `check that kubelite runs (microk8s status) and ${serverAddress(given)}`,
    });
  }
  // Not a network failure: a bug, which the runner reports as an internal error.
  throw err;
}

function deepCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  if (e instanceof AggregateError && e.errors.length) return e.errors[0];
  return e;
}

function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      return typeof parsed.message === 'string' ? parsed.message : '';
    } catch {
      return '';
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return '';
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
