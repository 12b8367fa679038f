import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { load as loadYaml } from 'js-yaml';
import { accessFix, checkSmallFile, FileError, readSmallFile, userName } from '../../files.ts';
import { refreshNote } from '../snap-locks.ts';
import { KubeError, RBAC_YAML } from './errors.ts';

export const MICROK8S_CLIENT_CONFIG = '/var/snap/microk8s/current/credentials/client.config';
const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

export interface LoadedConfig {
  kc: KubeConfig;
  /** Where it came from, for messages: a path, $KUBECONFIG or "in-cluster". */
  source: string;
  server: string;
  /** The context, when its user carries no credentials at all: a 401 there has nothing to renew. */
  sendsNone?: string;
}

/**
 * The CONTRACT's order: --kubeconfig, $KUBECONFIG, the in-cluster service account, MicroK8s'
 * client.config, ~/.kube/config. A file that exists but cannot be read is an error naming the
 * fix, not a reason to fall through to the next one.
 */
export function loadKubeConfig(target: KubeTarget, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const kc = new KubeConfig();
  let source: string;
  // The file read, for what client-node leaves out of it (useTokenFile).
  let file: { path: string; text: string } | undefined;
  const read = (path: string) => (file = { path, text: loadFile(kc, path) });
  if (target.kubeconfig) {
    source = target.kubeconfig;
    read(target.kubeconfig);
  } else if (env.KUBECONFIG) {
    source = `$KUBECONFIG (${env.KUBECONFIG})`;
    read(env.KUBECONFIG.split(':').find(Boolean)!);
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    source = 'in-cluster service account';
    kc.loadFromCluster();
  } else if (existsSync(MICROK8S_CLIENT_CONFIG)) {
    source = MICROK8S_CLIENT_CONFIG;
    read(MICROK8S_CLIENT_CONFIG);
  } else if (existsSync(join(homedir(), '.kube', 'config'))) {
    source = join(homedir(), '.kube', 'config');
    read(source);
  } else {
    throw new KubeError(`no kubeconfig found (tried --kubeconfig, $KUBECONFIG, in-cluster, ${MICROK8S_CLIENT_CONFIG}, ~/.kube/config)`, {
      fix: `pass --kubeconfig PATH; for a read-only one apply ${RBAC_YAML}, then make it as docs/api.md says`,
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
  // Any YAML loads (a string, a list): a file with neither a context nor a cluster is some other file.
  if (!contexts.length && !kc.getClusters().length)
    throw new KubeError(`${source} defines no context and no cluster: no kubeconfig, or an empty one`, {
      fix: `pass --kubeconfig a kubeconfig (MicroK8s: ${MICROK8S_CLIENT_CONFIG}, or the output of microk8s config)`,
    });
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
  if (!context.user) anonymousUser(kc, name);
  refuseAuthProvider(kc, source);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server)
    throw new KubeError(`kubeconfig ${source}: context '${name}' names no cluster with a server`, {
      fix: `check the kubeconfig, or ${pick}`,
    });
  // client-go's tlsConfigFor refuses both: a CA the kubeconfig names would be trusted for nothing.
  if (cluster.skipTLSVerify && (cluster.caData || cluster.caFile))
    throw new KubeError(
      `kubeconfig ${source}: cluster '${cluster.name}' sets insecure-skip-tls-verify beside its certificate-authority, ` +
        'which kubectl refuses',
      { fix: 'remove insecure-skip-tls-verify, and the server is verified against that CA' },
    );
  // Go's URL parser, kubectl's, reads HTTPS:// as https://; client-node refused it ("define an absolute base url").
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(cluster.server)?.[0];
  if (scheme && scheme !== scheme.toLowerCase()) {
    const server = scheme.toLowerCase() + cluster.server.slice(scheme.length);
    kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c));
  }
  // A user name or password in the URL, or a query (?access_token=): never shown. Neither has a
  // place in a server address (credentials belong in the user entry), and neither is sent.
  const server = shownServer(kc.getCurrentCluster()!.server);
  if (server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new KubeError(`kubeconfig ${source}: server ${server} is plain http://, and the checks speak only HTTPS to the API server`, {
      fix: 'give the https:// address (MicroK8s: https://127.0.0.1:16443)',
    });
  }
  checkReferencedFiles(kc, source);
  if (file) useTokenFile(kc, file.text, file.path, source);
  return { kc, source, server, sendsNone: carriesCredentials(kc.getCurrentUser()) ? undefined : name };
}

/** Anything client-node sends a server to say who this is (a tokenFile is read into token above). */
const carriesCredentials = (u: User | null): boolean =>
  Boolean(u && (u.token || u.certData || u.certFile || u.keyData || u.keyFile || u.exec || u.authProvider || u.username || u.password));

function loadFile(kc: KubeConfig, path: string): string {
  let text: string;
  try {
    // Read here, bounded and without blocking, rather than by client-node's readFileSync.
    text = readSmallFile(path, 'kubeconfig').toString('utf8');
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    // Not there at 3 a.m. is mostly never made: where the read-only one comes from, beside the path.
    // MicroK8s' own: its group reads it (root:microk8s), for the user the check runs as; a uid
    // without a name (usermod takes none) gets the ACL deniedAt gives, again after a snap refresh.
    const d = path === MICROK8S_CLIENT_CONFIG ? err.denial : undefined;
    const user = userName();
    const fix = d
      ? `${
          user.startsWith('uid ')
            ? accessFix(d.culprit, d.acl, user, d.stat, refreshNote(d.culprit))
            : `add user ${user} to the group microk8s, which may read it: sudo usermod -aG microk8s ${user}, then restart nrpe`
        }, or pass --kubeconfig`
      : err.missing
        ? `${err.fix}; a read-only one for the checks: apply ${RBAC_YAML}, then make it as docs/api.md says`
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
  refuseTwiceNamed(kc, path);
  return text;
}

/**
 * A name given twice: client-go refuses the kubeconfig ("duplicate name in list"), client-node
 * takes the first. Which entry a check then judges is neither what kubectl shows nor an error.
 */
function refuseTwiceNamed(kc: KubeConfig, path: string): void {
  const lists: [string, { name: string }[]][] = [
    ['context', kc.getContexts()],
    ['cluster', kc.getClusters()],
    ['user', kc.getUsers()],
  ];
  for (const [what, list] of lists) {
    const twice = list.find((entry, i) => list.findIndex((e) => e.name === entry.name) !== i);
    if (twice)
      throw new KubeError(`kubeconfig ${path} names ${what} '${twice.name}' twice, which kubectl refuses`, {
        fix: `keep one ${what} of each name`,
      });
  }
}

/**
 * client-go knows one auth-provider, oidc: it removed gcp and azure in 1.26, and kubectl refuses
 * those by name. client-node still runs gcp's cmd-path, synchronously (a hung one held the run
 * past -t) and with its arguments and stderr as the error, where a token may be; any other
 * provider it skips, sending no credentials (a 401 blaming the token).
 */
function refuseAuthProvider(kc: KubeConfig, source: string): void {
  const user = kc.getCurrentUser();
  const provider: unknown = user?.authProvider?.name;
  if (!user?.authProvider || provider === 'oidc') return;
  const named = typeof provider === 'string' ? provider.replace(/[^\w.-]/g, '?').slice(0, 40) : '(none)';
  const removed = provider === 'gcp' || provider === 'azure';
  throw new KubeError(
    `kubeconfig ${source}: user '${user.name}' uses the auth-provider '${named}', which kubectl ${removed ? 'removed in 1.26' : 'has not'}`,
    {
      fix: removed
        ? "use the provider's exec credential plugin: gke-gcloud-auth-plugin for gcp, kubelogin for azure"
        : 'use an exec credential plugin, a token or a client certificate',
    },
  );
}

/**
 * A context naming no user sends no credentials, as kubectl does. client-node then applies none
 * of its cluster's TLS settings either (its CA, tls-server-name): the server was checked against
 * Node's own roots instead. A user without credentials keeps them.
 */
function anonymousUser(kc: KubeConfig, context: string): void {
  let user = 'anonymous';
  while (kc.getUser(user)) user += '_';
  kc.users = [...kc.users, { name: user }];
  kc.contexts = kc.contexts.map((c) => (c.name === context ? { ...c, user } : c));
}

const TOKEN_FILE_FIX = 'check the tokenFile entry of the kubeconfig';
/** A bearer token is a few KiB at most; a larger file would only be refused by the server, as a reset. */
const MAX_TOKEN_FILE = 64 * 1024;

/**
 * A user's `tokenFile` (kubectl's name for it): client-node looks for `token-file` instead, and
 * would send every request without the token (a 401 that blames the token). Read here, bounded
 * like every file a kubeconfig names, relative to the kubeconfig as kubectl reads it. Beside a
 * `token`, the file wins where it can be read, the token its fallback, as client-go's bearer
 * round tripper does: a projected token the kubelet rotates, and the one first written inline.
 */
function useTokenFile(kc: KubeConfig, text: string, path: string, source: string): void {
  const user = kc.getCurrentUser();
  if (!user || !text.includes('tokenFile')) return;
  const users = (loadYaml(text) as { users?: { name?: unknown; user?: { tokenFile?: unknown } }[] } | null)?.users;
  const file = Array.isArray(users) ? users.find((u) => u?.name === user.name)?.user?.tokenFile : undefined;
  if (typeof file !== 'string' || !file) return;
  let token: string;
  try {
    token = readSmallFile(resolve(dirname(path), file), 'token file', MAX_TOKEN_FILE)
      .toString('utf8')
      .trim();
  } catch (err) {
    if (user.token && err instanceof FileError) return;
    throw err instanceof FileError ? new KubeError(`kubeconfig ${source}: ${err.message}`, { fix: TOKEN_FILE_FIX }) : err;
  }
  if (!token && user.token) return;
  if (!token) throw new KubeError(`kubeconfig ${source}: its token file ${file} is empty`, { fix: TOKEN_FILE_FIX });
  kc.users = kc.users.map((u) => (u.name === user.name ? { ...u, token } : u));
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

/** A server address as the checks print it: without user:password@, a query or a fragment. */
const shownServer = (url: string): string => withoutUserinfo(url).replace(/[?#].*$/s, '');
