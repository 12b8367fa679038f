import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ApiException,
  KubeConfig,
  Observable,
  ResponseContext,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type V1ListMeta,
} from '@kubernetes/client-node';
import { ReasonedError } from '../../errors.ts';
import { checkSmallFile, FileError, readSmallFile } from '../../files.ts';

export const MICROK8S_CLIENT_CONFIG = '/var/snap/microk8s/current/credentials/client.config';
const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** What answered an HTTP error: kube-apiserver's own Status object, or something else (a proxy's page). */
export interface ErrorAnswer {
  contentType: string;
  bytes: number;
  /** The body as kube-apiserver words an error (kind Status), when it is one. */
  apiStatus?: ApiStatus;
}

/** A kube-apiserver Status, the parts a check may decide by. */
export interface ApiStatus {
  reason: string;
  message: string;
  /** details.causes[].reason, e.g. ResourceVersionTooLarge. */
  causes: string[];
}

export class KubeError extends ReasonedError {
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

function answerOf(err: ApiException<unknown>): ErrorAnswer {
  const body = err.body;
  const bytes = typeof body === 'string' ? body.length : JSON.stringify(body ?? '').length;
  return { contentType: err.headers?.['content-type']?.split(';')[0] || 'no content type', bytes, apiStatus: apiStatusOf(body) };
}

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

export interface LoadedConfig {
  kc: KubeConfig;
  /** Where it came from, for messages: a path, $KUBECONFIG or "in-cluster". */
  source: string;
  server: string;
}

/**
 * The CONTRACT's order: --kubeconfig, $KUBECONFIG, the in-cluster service account, MicroK8s'
 * client.config, ~/.kube/config. A file that exists but cannot be read is an error naming the
 * fix, not a reason to fall through to the next one.
 */
export function loadKubeConfig(target: KubeTarget, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const kc = new KubeConfig();
  let source: string;
  if (target.kubeconfig) {
    source = target.kubeconfig;
    loadFile(kc, target.kubeconfig);
  } else if (env.KUBECONFIG) {
    source = `$KUBECONFIG (${env.KUBECONFIG})`;
    const first = env.KUBECONFIG.split(':').find(Boolean)!;
    loadFile(kc, first);
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    source = 'in-cluster service account';
    kc.loadFromCluster();
  } else if (existsSync(MICROK8S_CLIENT_CONFIG)) {
    source = MICROK8S_CLIENT_CONFIG;
    loadFile(kc, MICROK8S_CLIENT_CONFIG);
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    source = join(homedir(), '.kube', 'config');
    loadFile(kc, source);
  } else {
    throw new KubeError(`no kubeconfig found (tried --kubeconfig, $KUBECONFIG, in-cluster, ${MICROK8S_CLIENT_CONFIG}, ~/.kube/config)`, {
      fix: 'pass --kubeconfig PATH (see nrpe/rbac.yaml for a read-only one)',
    });
  }
  if (target.context) {
    if (!kc.getContextObject(target.context))
      throw new KubeError(`context '${target.context}' is not in ${source}`, {
        fix: `one of: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || '(none)'
        }`,
      });
    kc.setCurrentContext(target.context);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const pick = `pick one with --context (${contexts.join(', ') || 'it has none'})`;
  const name = kc.getCurrentContext();
  const context = name ? kc.getContextObject(name) : null;
  if (!context)
    throw new KubeError(
      name
        ? `kubeconfig ${source}: its current-context '${name}' is not among its contexts`
        : `kubeconfig ${source} sets no current-context`,
      { fix: pick },
    );
  if (context.user && !kc.getUser(context.user))
    throw new KubeError(`kubeconfig ${source}: context '${name}' names user '${context.user}', which it does not define`, {
      fix: `add the user, or ${pick}`,
    });
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server)
    throw new KubeError(`kubeconfig ${source}: context '${name}' names no cluster with a server`, {
      fix: `check the kubeconfig, or ${pick}`,
    });
  // A user name or password in the URL is neither shown nor sent: credentials belong in the user entry.
  const server = withoutUserinfo(cluster.server);
  if (server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new KubeError(`kubeconfig ${source}: server ${server} is plain http://, and the checks speak only HTTPS to the API server`, {
      fix: 'give the https:// address (MicroK8s: https://127.0.0.1:16443)',
    });
  }
  checkReferencedFiles(kc, source);
  return { kc, source, server };
}

function loadFile(kc: KubeConfig, path: string): void {
  let text: string;
  try {
    // Read here, bounded and without blocking, rather than by client-node's readFileSync.
    text = readSmallFile(path, 'kubeconfig').toString('utf8');
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    const fix =
      /permission denied/.test(err.message) && path === MICROK8S_CLIENT_CONFIG
        ? 'add the user running the check to the microk8s group (sudo usermod -aG microk8s nagios), or pass --kubeconfig'
        : err.fix;
    throw new KubeError(err.message, { fix });
  }
  try {
    kc.loadFromString(text);
    // As loadFromFile does: certificate and key paths are relative to the kubeconfig.
    kc.makePathsAbsolute(dirname(path));
  } catch (err) {
    throw new KubeError(`kubeconfig ${path} is not valid: ${yamlProblem(err, text)}`, {
      fix: `check it with kubectl --kubeconfig ${path} config view`,
    });
  }
}

/**
 * What is wrong with a kubeconfig, by line number and key only. The YAML parser's own message
 * quotes the lines around the error, and a kubeconfig's lines are its tokens, passwords and keys:
 * none of its content may reach the output.
 */
export function yamlProblem(err: unknown, text: string): string {
  const mark = (err as { mark?: { line?: unknown } }).mark;
  const reason = (err as { reason?: unknown }).reason;
  if (typeof mark?.line !== 'number') {
    // client-node's own checks name fields ("users[0].name is missing"), never values; anything else is not repeated.
    const message = err instanceof Error ? err.message : '';
    return /^[\w .[\]'-]{1,120}$/.test(message) && !message.includes(':') ? message : 'not a kubeconfig';
  }
  const line = text.split(/\r?\n|\r/)[mark.line] ?? '';
  const key = /^\s*(?:-\s+)?([A-Za-z0-9_.-]{1,64})\s*:/.exec(line)?.[1];
  const why = typeof reason === 'string' && /^[A-Za-z][A-Za-z ,-]{0,80}$/.test(reason) ? reason : 'not valid YAML';
  return `${why} at line ${mark.line + 1}${key ? ` (key '${key}')` : ''}`;
}

/**
 * client-node reads the CA, client certificate and key of the kubeconfig on every request, with a
 * synchronous read that a FIFO or a device would block for ever: each must be a small file.
 */
function checkReferencedFiles(kc: KubeConfig, source: string): void {
  const user = kc.getCurrentUser();
  const files: [string | undefined, string][] = [
    [kc.getCurrentCluster()?.caFile, 'certificate-authority'],
    [user?.certFile, 'client-certificate'],
    [user?.keyFile, 'client-key'],
  ];
  for (const [file, what] of files) {
    if (!file) continue;
    try {
      checkSmallFile(file, what);
    } catch (err) {
      throw err instanceof FileError
        ? new KubeError(`kubeconfig ${source}: ${err.message}`, { fix: `check the ${what} entry of the kubeconfig` })
        : err;
    }
  }
}

/** A URL without its user:password@ part, which is a secret wherever it is printed. */
export const withoutUserinfo = (url: string): string => url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1');

/** What a request asked for, in the words an RBAC rule uses. */
export interface Resource {
  verb: 'get' | 'list';
  resource: string;
  group: string;
  namespace?: string;
}

const describe = (r: Resource) =>
  `${r.verb} ${r.group ? `${r.resource}.${r.group}` : r.resource}${r.namespace ? ` in namespace ${r.namespace}` : ' at cluster scope'}`;

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|DEPTH_ZERO/;

/** Turn whatever a request threw into a KubeError that says what, why and how to fix it. */
export function kubeError(err: unknown, what: Resource, server: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) {
    const status = statusMessage(err.body);
    const code = err.code;
    if (code === 401)
      return new KubeError(
        `API server ${server} rejected the credentials (401 Unauthorized)`,
        { fix: 'renew the token or client certificate in the kubeconfig' },
        code,
      );
    if (code === 403)
      return new KubeError(
        `forbidden: cannot ${describe(what)} (403)`,
        { fix: `grant ${what.verb} on ${what.resource}: apply nrpe/rbac.yaml and use its ServiceAccount` },
        code,
      );
    if (code === 404)
      return new KubeError(
        `not found: ${describe(what)} (404${status ? `: ${status}` : ''})`,
        { fix: 'check the namespace and that the API server serves this resource' },
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
  if (TLS_CODES.test(code)) {
    return new KubeError(`TLS to ${server} failed: certificate problem (${code})`, {
      cause,
      fix: 'check certificate-authority-data and the server address in the kubeconfig',
    });
  }
  if (code) {
    return new KubeError(`API server ${server} unreachable`, {
      cause,
      fix: 'check that kubelite runs (microk8s status) and the server address in the kubeconfig',
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

/**
 * A Kubernetes object as lists hand it over: client-node's type, with its times as the RFC 3339
 * strings the JSON carries (see listOptions).
 */
export type Wire<T> = T extends Date ? string : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

/** A body read as JSON: the parsed value, or why it is not JSON at all. */
function parseBody(text: string): { value?: unknown; invalid?: true } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { invalid: true };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What a 200 answer must be for the checks to trust it: a list (an object whose `items` is an
 * array, or null for none) or an object with metadata. A proxy's login page, a health endpoint at
 * a wrong URL or `{}` would otherwise read as an empty list, and an empty list is an OK.
 */
function unexpectedBody(
  ctx: ResponseContext,
  text: string,
  what: Resource,
  server: string,
  list: boolean,
): { error?: KubeError; value?: Record<string, unknown> } {
  const { value, invalid } = parseBody(text);
  const ok =
    isObject(value) &&
    (list
      ? (Array.isArray(value.items) || value.items === null) && (typeof value.kind !== 'string' || value.kind.endsWith('List'))
      : isObject(value.metadata));
  if (ok) return { value: value as Record<string, unknown> };
  const type = ctx.headers['content-type']?.split(';')[0] || 'no content type';
  const shape = invalid
    ? 'not JSON'
    : Array.isArray(value)
      ? 'a JSON array'
      : isObject(value)
        ? `a JSON object that is not ${list ? 'a list' : 'an API object'}`
        : `a JSON ${value === null ? 'null' : typeof value}`;
  return {
    error: new KubeError(`API server ${server} answered ${describe(what)} with ${shape} (${type}, ${text.length} bytes)`, {
      fix: 'check the server address in the kubeconfig: something other than the Kubernetes API answers there (a proxy, another service)',
    }),
  };
}

/** A post step that lets a 200 through only when its body is what was asked for (unexpectedBody). */
function checkedBody(
  what: Resource,
  server: string,
  list: boolean,
  use: (value: Record<string, unknown>) => string | undefined = () => undefined,
): ObservableMiddleware['post'] {
  return (ctx) =>
    new Observable(
      (async () => {
        if (ctx.httpStatusCode !== 200) return ctx;
        const text = await ctx.body.text();
        const { error, value } = unexpectedBody(ctx, text, what, server, list);
        if (error) throw error;
        const rest = use(value!) ?? text;
        return new ResponseContext(ctx.httpStatusCode, ctx.headers, {
          text: async () => rest,
          binary: async () => Buffer.from(rest),
          stream: () => null,
        });
      })(),
    );
}

/** Per-request options that tie the request to the run's deadline and check what a 200 brings. */
export function requestOptions(
  policy: RequestPolicy,
  what: Resource,
  post: ObservableMiddleware['post'] = checkedBody(what, policy.server, what.verb === 'list'),
): ConfigurationOptions {
  // The object-parameter API hands these to the observable API, so the middleware is observable-style.
  const mw: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(policy.signal);
      return new Observable(Promise.resolve(ctx));
    },
    post,
  };
  return { middleware: [mw], middlewareMergeStrategy: 'append' } as unknown as ConfigurationOptions;
}

/**
 * Options for a list request that also take the items out of a successful page, as plain JSON,
 * before client-node turns each into model class instances: that conversion was the largest
 * single cost of a long list. client-node then converts an empty list carrying the metadata.
 */
function listOptions(policy: RequestPolicy, what: Resource, onItems: (items: unknown[]) => void): ConfigurationOptions {
  return requestOptions(
    policy,
    what,
    checkedBody(what, policy.server, true, (page) => {
      onItems((page.items as unknown[] | null) ?? []);
      return JSON.stringify({ ...page, items: [] });
    }),
  );
}

export interface RequestPolicy {
  signal: AbortSignal;
  server: string;
  /** Milliseconds left in the run, for honouring Retry-After. */
  remainingMs: () => number;
}

/** One request with one retry on 429/5xx (after Retry-After, if it fits in the deadline). */
export async function request<T>(
  what: Resource,
  policy: RequestPolicy,
  send: (options: ConfigurationOptions) => Promise<T>,
  options = requestOptions(policy, what),
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(options);
    } catch (err) {
      if (policy.signal.aborted) throw policy.signal.reason;
      const retriable = err instanceof ApiException && (err.code === 429 || err.code >= 500);
      if (!retriable || attempt > 0) throw kubeError(err, what, policy.server);
      const after = Number((err as ApiException<unknown>).headers?.['retry-after'] ?? 1);
      const waitMs = Math.max(0, Number.isFinite(after) ? after * 1000 : 1000);
      if (waitMs >= policy.remainingMs()) throw kubeError(err, what, policy.server);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

export interface ListPage<T> {
  metadata?: V1ListMeta;
  items: T[];
}

/**
 * Page through a list with limit/continue, handing each item to onItem and dropping the page,
 * so memory does not grow with the number of objects. When a continue token has expired (410)
 * the list restarts once from the beginning and skips what was already delivered: the API
 * server lists in key order (namespace/name), so nothing is counted twice.
 */
export async function forEachListed<T extends { metadata?: { namespace?: string; name?: string } }>(
  what: Resource,
  policy: RequestPolicy,
  fetchPage: (cont: string | undefined, options: ConfigurationOptions) => Promise<ListPage<T>>,
  onItem: (item: Wire<T>) => void,
): Promise<{ pages: number; resourceVersion?: string }> {
  let restarted = false;
  let resourceVersion: string | undefined;
  let pages = 0;
  let cont: string | undefined;
  let last: string | undefined;
  let skipThrough: string | undefined;
  const deliver = (items: unknown[]) => {
    for (const raw of items) {
      const item = raw as Wire<T>;
      const key = `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
      if (skipThrough !== undefined && key <= skipThrough) continue;
      last = key;
      onItem(item);
    }
  };
  const options = listOptions(policy, what, deliver);
  const tokens = new Set<string>();
  for (;;) {
    let page: ListPage<T>;
    try {
      page = await request(what, policy, (o) => fetchPage(cont, o), options);
    } catch (err) {
      if (err instanceof KubeError && err.status === 410 && !restarted) {
        restarted = true;
        cont = undefined;
        skipThrough = last;
        // A new list from the start may be handed the same tokens again.
        tokens.clear();
        continue;
      }
      throw err;
    }
    pages++;
    // The list's revision is the first page's: later pages are read at that same revision.
    if (pages === 1) resourceVersion = page.metadata?.resourceVersion;
    cont = page.metadata?._continue || undefined;
    if (!cont) return { pages, resourceVersion };
    // A server (or proxy) that hands out a token it gave before would be listed for ever.
    if (tokens.has(cont))
      throw new KubeError(
        `API server ${policy.server} repeated a continue token while listing ${what.resource} (page ${pages}): the list would never end`,
        { fix: 'check what answers at the server address; rerun' },
      );
    tokens.add(cont);
  }
}
