// A test API server that keeps the real API server's rules for what the checks read: bearer
// auth, RBAC-style 403s, Status objects, limit/continue paging with remainingItemCount and 410
// Expired, label selectors and the per-resource field-selector whitelist. HTTPS with its own CA.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { Certs } from './certs.ts';

type Obj = {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  [k: string]: unknown;
};
// biome-ignore lint/suspicious/noExplicitAny: the test server keeps objects as JSON; each getter knows its kind's shape.
type FieldGetter = (o: any) => string;

interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  fields: Record<string, FieldGetter>;
  /** How the API server names the type in field-label errors, where it has its own words. */
  fieldErrorType?: string;
}

const META: Record<string, FieldGetter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

export const RESOURCES: Record<string, ResourceDef> = {
  pods: {
    group: '',
    version: 'v1',
    kind: 'Pod',
    namespaced: true,
    fields: {
      ...META,
      'spec.nodeName': (o) => o.spec?.nodeName ?? '',
      'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
      'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
      'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': (o) => String(o.spec?.hostNetwork ?? false),
      'status.phase': (o) => o.status?.phase ?? '',
      'status.podIP': (o) => o.status?.podIP ?? '',
      'status.podIPs': (o) => o.status?.podIPs?.[0]?.ip ?? '',
      'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '',
    },
  },
  nodes: {
    group: '',
    version: 'v1',
    kind: 'Node',
    namespaced: false,
    fields: { 'metadata.name': META['metadata.name']!, 'spec.unschedulable': (o) => String(o.spec?.unschedulable ?? false) },
  },
  events: {
    group: '',
    version: 'v1',
    kind: 'Event',
    namespaced: true,
    fields: {
      ...META,
      'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
      'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
      'involvedObject.name': (o) => o.involvedObject?.name ?? '',
      'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
      reason: (o) => o.reason ?? '',
      type: (o) => o.type ?? '',
      source: (o) => o.source?.component ?? '',
    },
  },
  jobs: {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    namespaced: true,
    fieldErrorType: 'batchv1.Job',
    fields: { ...META, 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
  },
  cronjobs: { group: 'batch', version: 'v1', kind: 'CronJob', namespaced: true, fields: META },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true, fields: META },
  replicasets: {
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    namespaced: true,
    fields: { ...META, 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
  },
  statefulsets: { group: 'apps', version: 'v1', kind: 'StatefulSet', namespaced: true, fields: META },
  daemonsets: { group: 'apps', version: 'v1', kind: 'DaemonSet', namespaced: true, fields: META },
  leases: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', namespaced: true, fields: META },
  namespaces: {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    namespaced: false,
    fields: { 'metadata.name': META['metadata.name']!, 'status.phase': (o) => o.status?.phase ?? '' },
  },
};

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  user?: string;
  status: number;
  /** Which TLS connection carried it (numbered in order of arrival). */
  connection: number;
  userAgent?: string;
  /** Bytes of the response body (what the benchmarks count as pulled from the API server). */
  bytes: number;
}

export interface Identity {
  user: string;
  /** RBAC: may this user do verb on resource (in namespace)? Default: everything read-only. */
  can?: (verb: string, resource: string, namespace?: string) => boolean;
  /**
   * RBAC for a path that is no resource (/readyz, /livez, discovery): may this user GET it?
   * Default: yes, as the default ClusterRoles (system:public-info-viewer, system:discovery) grant every user.
   */
  canPath?: (verb: string, path: string) => boolean;
}

export interface Fault {
  /** Applies to requests whose path contains this, or to every request. */
  path?: string;
  status: number;
  retryAfter?: number;
  times: number;
}

export interface ApiServer {
  url: string;
  port: number;
  requests: RequestRecord[];
  /** Delay every response by this many milliseconds. */
  delayMs: number;
  faults: Fault[];
  /** The next request carrying a continue token gets 410 Expired. */
  expireNextContinue: boolean;
  /**
   * Close the next kept-alive connection that brings a second request, without answering: what a
   * server closing an idle connection does to a client that reused it at that very moment.
   */
  closeNextReused: boolean;
  /**
   * Answer in place of the API server when this returns true (after authentication): what a proxy,
   * a wrong URL or a broken server sends. Requests it answers are recorded as usual.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
  /** Told of each request once its response is sent (the benchmarks log them). */
  onResponse?: (record: RequestRecord) => void;
  /**
   * The watch cache, as each kube-apiserver keeps one: lists with resourceVersion=0 are served from
   * it, at its own resourceVersion; it follows storage until freezeCache() (a watch on kine that
   * broke and never recovered). Lists without resourceVersion read storage.
   */
  cache: {
    /**
     * Newer API servers serve a list without resourceVersion from the cache once it caught up;
     * a cache that cannot catch up answers 504 "Too large resource version" or 429. 'storage'
     * (the default): such lists read storage, as MicroK8s' kube-apiserver does.
     */
    consistentReads: 'storage' | '504' | '429';
  };
  /**
   * Health sub-checks that fail, by name (e.g. 'etcd': kine not answering), with the reason the
   * API server gives ('reason withheld' unless it is asked by a user allowed more). Empty: ready.
   */
  failingChecks: Map<string, string>;
  /**
   * /readyz or /livez (the endpoint's name) answers only once this resolves: readyz runs the etcd
   * check (kine) each time, so a struggling datastore makes it slow. Unset: at once.
   */
  healthGate?: (endpoint: string) => Promise<void>;
  /** Freeze the watch cache where storage is now; storage moves on without it. */
  freezeCache(): void;
  add(resource: string, ...objects: object[]): void;
  clear(resource?: string): void;
  /** Forget objects, requests, faults and delays: a clean server for the next test. */
  reset(): void;
  close(): Promise<void>;
}

function status(res: ServerResponse, code: number, reason: string, message: string, extra: Record<string, unknown> = {}): void {
  send(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: extra.metadata ?? {},
    status: 'Failure',
    message,
    reason,
    ...(extra.details ? { details: extra.details } : {}),
    code,
  });
}

/**
 * kube-apiserver's own rate limit (API Priority and Fairness, or max-in-flight where APF is off):
 * no Status object but Go's http.Error text, with Retry-After, and APF's headers naming the flow
 * schema and priority level by UID (k8s.io/apiserver/pkg/server/filters: tooManyRequests in
 * maxinflight.go, called by WithPriorityAndFairness in priority-and-fairness.go after
 * setResponseHeaders).
 */
export function tooManyRequests(res: ServerResponse, retryAfter: number): void {
  const text = 'Too many requests, please try again later.\n';
  res.writeHead(429, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
    'Retry-After': String(retryAfter),
    'X-Kubernetes-PF-FlowSchema-UID': 'c8a7c8f0-5f0e-4b8e-9a43-0e3c4f1d2a6b',
    'X-Kubernetes-PF-PriorityLevel-UID': '2f1c9b7e-8d4a-4c3e-b5f6-7a8b9c0d1e2f',
    'Audit-Id': crypto.randomUUID(),
  });
  res.end(text);
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Audit-Id': crypto.randomUUID(),
    ...headers,
  });
  res.end(text);
}

const encodeContinue = (rv: number, start: string) => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64');
function decodeContinue(token: string): { rv: number; start: string } | undefined {
  try {
    const d = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { v?: string; rv?: number; start?: string };
    return d.v === 'meta.k8s.io/v1' && typeof d.rv === 'number' && typeof d.start === 'string' ? { rv: d.rv, start: d.start } : undefined;
  } catch {
    return undefined;
  }
}

/** x509 authentication: a certificate the CA signed names the user in its CN (read-only RBAC, as for tokens). */
function certificateUser(socket: TLSSocket): Identity | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn ? { user: cn } : undefined;
}

const keyOf = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const gr = (d: ResourceDef, resource: string) => (d.group ? `${resource}.${d.group}` : resource);

export async function startApiServer(opts: {
  certs: Certs;
  tokens: Record<string, Identity>;
  host?: string;
  port?: number;
}): Promise<ApiServer> {
  const store = new Map<string, Obj[]>();
  const sorted = new Map<string, boolean>();
  let rv = 1000;
  // A frozen watch cache: its own copy of storage and the revision it stopped at. While it is not
  // frozen it follows storage exactly, so it is storage itself (no copy on every change).
  let frozen: { objects: Map<string, Obj[]>; rv: number } | undefined;
  const cacheRv = () => frozen?.rv ?? rv;
  const requests: RequestRecord[] = [];
  const connections = new WeakMap<object, number>();
  let connectionCount = 0;

  const items = (resource: string): Obj[] => {
    const list = store.get(resource) ?? [];
    if (!sorted.get(resource)) {
      list.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
      sorted.set(resource, true);
    }
    return list;
  };

  const api: ApiServer = {
    url: '',
    port: 0,
    requests,
    delayMs: 0,
    faults: [],
    expireNextContinue: false,
    closeNextReused: false,
    cache: { consistentReads: 'storage' },
    failingChecks: new Map(),
    add(resource, ...objects) {
      if (!RESOURCES[resource]) throw new Error(`unknown resource ${resource}`);
      const list = store.get(resource) ?? [];
      for (const o of objects as Obj[]) {
        o.metadata.resourceVersion = String(++rv);
        list.push(o);
      }
      store.set(resource, list);
      sorted.set(resource, false);
    },
    clear(resource) {
      if (resource) store.delete(resource);
      else store.clear();
      // A deletion is a new revision too.
      rv++;
    },
    freezeCache() {
      frozen = { objects: new Map([...store].map(([k, list]) => [k, structuredClone(list)])), rv };
    },
    reset() {
      store.clear();
      requests.length = 0;
      api.faults.length = 0;
      api.delayMs = 0;
      api.expireNextContinue = false;
      api.closeNextReused = false;
      api.intercept = undefined;
      api.cache = { consistentReads: 'storage' };
      api.failingChecks = new Map();
      api.healthGate = undefined;
      frozen = undefined;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const query = Object.fromEntries(url.searchParams);
    let connection = connections.get(req.socket);
    if (connection === undefined) {
      connection = ++connectionCount;
      connections.set(req.socket, connection);
    } else if (api.closeNextReused) {
      api.closeNextReused = false;
      req.socket.destroy();
      return;
    }
    const record: RequestRecord = {
      method: req.method ?? '',
      path: url.pathname,
      query,
      status: 0,
      connection,
      userAgent: req.headers['user-agent'],
      bytes: 0,
    };
    requests.push(record);
    const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    res.end = ((...a: unknown[]) => {
      if (typeof a[0] === 'string' || a[0] instanceof Uint8Array) record.bytes += Buffer.byteLength(a[0]);
      return end(...a);
    }) as typeof res.end;
    res.once('finish', () => api.onResponse?.(record));
    const reply = (fn: () => void) => {
      const origWriteHead = res.writeHead.bind(res);
      res.writeHead = ((code: number, ...rest: unknown[]) => {
        record.status = code;
        return (origWriteHead as (...a: unknown[]) => ServerResponse)(code, ...rest);
      }) as typeof res.writeHead;
      fn();
    };
    reply(() => {
      const auth = req.headers.authorization ?? '';
      const ident = auth ? (auth.startsWith('Bearer ') ? opts.tokens[auth.slice(7)] : undefined) : certificateUser(req.socket as TLSSocket);
      if (!ident) return status(res, 401, 'Unauthorized', 'Unauthorized');
      record.user = ident.user;

      if (api.intercept?.(req, res, url)) return;
      const fault = api.faults.find((f) => f.times > 0 && (!f.path || url.pathname.includes(f.path)));
      if (fault) {
        fault.times--;
        if (fault.status === 429) return tooManyRequests(res, fault.retryAfter ?? 1);
        const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
        const reason = fault.status === 503 ? 'ServiceUnavailable' : 'InternalError';
        const body = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'the server is currently unable to handle the request',
          reason,
          code: fault.status,
        };
        return send(res, fault.status, body, headers);
      }

      const resourcePath = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/./.test(url.pathname);
      const pathVerb = (req.method ?? '').toLowerCase();
      // As kube-apiserver words a refused non-resource request (responsewriters.forbiddenMessage).
      if (!resourcePath && ident.canPath && !ident.canPath(pathVerb, url.pathname))
        return status(res, 403, 'Forbidden', `forbidden: User "${ident.user}" cannot ${pathVerb} path "${url.pathname}"`);

      if (url.pathname === '/readyz' || url.pathname === '/livez') {
        const failing = api.failingChecks;
        if (!api.healthGate) return health(res, url, failing);
        return void api.healthGate(url.pathname.slice(1)).then(() => health(res, url, failing));
      }

      const discovered = discovery(url.pathname, api.url);
      if (discovered) return send(res, 200, discovered);

      const m = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
      const def = m ? RESOURCES[m[4]!] : undefined;
      if (!m || !def || (m[1] ?? '') !== def.group || (m[2] ?? 'v1') !== def.version || (m[3] && !def.namespaced)) {
        return status(res, 404, 'NotFound', 'the server could not find the requested resource', {
          details: { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] },
        });
      }
      const resource = m[4]!;
      const namespace = m[3];
      const name = m[5];
      const verb =
        req.method === 'GET'
          ? name
            ? 'get'
            : query.watch === 'true' || query.watch === '1'
              ? 'watch'
              : 'list'
          : (req.method ?? '').toLowerCase();
      if (ident.can && !ident.can(verb, resource, namespace)) {
        const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
        return status(
          res,
          403,
          'Forbidden',
          `${gr(def, resource)} is forbidden: User "${ident.user}" cannot ${verb} resource ` +
            `"${resource}" in API group "${def.group}" ${scope}`,
          {
            details: { group: def.group, kind: resource, ...(name ? { name } : {}) },
          },
        );
      }
      if (req.method !== 'GET')
        return status(
          res,
          405,
          'MethodNotAllowed',
          `${req.method} is not supported by this test server, and the checks must never send it`,
        );

      const all = items(resource);
      if (name) {
        const found = all.find((o) => o.metadata.name === name && (o.metadata.namespace ?? undefined) === namespace);
        if (!found)
          return status(res, 404, 'NotFound', `${gr(def, resource)} "${name}" not found`, {
            details: { name, group: def.group, kind: resource },
          });
        return send(res, 200, { kind: def.kind, apiVersion: def.group ? `${def.group}/${def.version}` : 'v1', ...found });
      }

      let labelReqs: ReturnType<typeof parseLabelSelector>;
      let fieldReqs: ReturnType<typeof parseFieldSelector>;
      try {
        labelReqs = parseLabelSelector(query.labelSelector ?? '');
        fieldReqs = parseFieldSelector(query.fieldSelector ?? '');
      } catch (err) {
        return status(res, 400, 'BadRequest', (err as Error).message);
      }
      for (const f of fieldReqs) {
        if (!def.fields[f.field]) {
          const apiVersion = `${def.group ? `${def.group}/` : ''}${def.version}`;
          const why = def.fieldErrorType
            ? `field label "${f.field}" not supported for ${def.fieldErrorType}`
            : `field label not supported: ${f.field}`;
          return status(
            res,
            400,
            'BadRequest',
            `Unable to find "${apiVersion}, Resource=${resource}" that match label selector ` +
              `"${query.labelSelector ?? ''}", field selector "${query.fieldSelector ?? ''}": ${why}`,
          );
        }
      }

      const fromCache = query.resourceVersion === '0';
      if (!fromCache && !query.continue && frozen && api.cache.consistentReads !== 'storage') {
        // Worded as kube-apiserver words them: k8s.io/apiserver/pkg/storage/errors.go
        // NewTooLargeResourceVersionError (apierrors.NewTimeoutError prefixes "Timeout: "), and the
        // cacher's errors.NewTooManyRequests("storage is (re)initializing", 1) while it is not ready.
        if (api.cache.consistentReads === '504')
          return status(res, 504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${cacheRv()}`, {
            details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
          });
        return status(res, 429, 'TooManyRequests', 'storage is (re)initializing', { details: { retryAfterSeconds: 1 } });
      }
      let start = '';
      let listRv = fromCache ? cacheRv() : rv;
      if (query.continue) {
        const tok = decodeContinue(query.continue);
        if (!tok)
          return status(
            res,
            400,
            'BadRequest',
            'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
          );
        if (api.expireNextContinue) {
          api.expireNextContinue = false;
          return status(
            res,
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can ' +
              'start a new list without the continue parameter, or use the continue token in this ' +
              'response to retrieve the remainder of the results. Continuing with the provided token ' +
              'results in an inconsistent list - objects that were created, modified, or deleted between ' +
              'the time the first chunk was returned and now may show up in the list.',
            { metadata: { continue: encodeContinue(rv, tok.start) } },
          );
        }
        start = tok.start;
        listRv = tok.rv;
      }
      // A list from the watch cache ignores limit (the API server serves it whole).
      const limit = query.limit && !fromCache ? Math.max(0, Number(query.limit)) : 0;
      const out: Obj[] = [];
      const source =
        fromCache && frozen
          ? [...(frozen.objects.get(resource) ?? [])].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
          : all;
      let i = lowerBound(source, start);
      let next: string | undefined;
      for (; i < source.length; i++) {
        const o = source[i]!;
        if (namespace && o.metadata.namespace !== namespace) continue;
        if (!matchesLabels(labelReqs, o.metadata.labels)) continue;
        if (!fieldReqs.every((f) => (def.fields[f.field]!(o) === f.value) !== f.negate)) continue;
        if (limit && out.length === limit) {
          next = `${keyOf(source[i - 1]!)}\u0000`;
          break;
        }
        out.push(o);
      }
      const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
      if (next !== undefined) {
        metadata.continue = encodeContinue(listRv, next);
        // Like the real server: a count of what is left only when no selector filters it.
        if (!query.labelSelector && !query.fieldSelector && !namespace) metadata.remainingItemCount = source.length - i;
      }
      send(res, 200, { kind: `${def.kind}List`, apiVersion: def.group ? `${def.group}/${def.version}` : 'v1', metadata, items: out });
    });
  };

  // Client certificates are asked for but optional, and verified against the CA (--client-ca-file).
  const server: Server = createServer(
    { key: opts.certs.serverKey, cert: opts.certs.serverCert, ca: opts.certs.ca, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      if (api.delayMs > 0) setTimeout(() => handle(req, res), api.delayMs);
      else handle(req, res);
    },
  );
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  api.port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  api.url = `https://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
  return api;
}

const SHORT_NAMES: Record<string, string[]> = {
  pods: ['po'],
  nodes: ['no'],
  events: ['ev'],
  deployments: ['deploy'],
  replicasets: ['rs'],
  statefulsets: ['sts'],
  daemonsets: ['ds'],
  cronjobs: ['cj'],
};

// The sub-checks a MicroK8s (1.32) kube-apiserver runs for /livez; /readyz adds informer-sync and shutdown.
const LIVEZ = [
  'ping',
  'log',
  'etcd',
  'poststarthook/start-apiserver-admission-initializer',
  'poststarthook/generic-apiserver-start-informers',
  'poststarthook/priority-and-fairness-config-consumer',
  'poststarthook/priority-and-fairness-filter',
  'poststarthook/storage-object-count-tracker-hook',
  'poststarthook/start-apiextensions-informers',
  'poststarthook/start-apiextensions-controllers',
  'poststarthook/crd-informer-synced',
  'poststarthook/start-system-namespaces-controller',
  'poststarthook/bootstrap-controller',
  'poststarthook/rbac/bootstrap-roles',
  'poststarthook/scheduling/bootstrap-system-priority-classes',
  'poststarthook/priority-and-fairness-config-producer',
  'poststarthook/start-cluster-authentication-info-controller',
  'poststarthook/start-kube-aggregator-informers',
  'poststarthook/apiservice-registration-controller',
  'poststarthook/apiservice-status-available-controller',
  'poststarthook/kube-apiserver-autoregistration',
  'autoregister-completion',
  'poststarthook/apiservice-openapi-controller',
];

/**
 * /readyz and /livez as kube-apiserver answers them: text, one line per sub-check (verbose) or
 * just "ok", 200 when all pass and 500 with the failing ones named when not.
 */
function health(res: ServerResponse, url: URL, failing: Map<string, string>): void {
  const endpoint = url.pathname.slice(1);
  const checks = endpoint === 'readyz' ? [...LIVEZ.slice(0, 3), 'etcd-readiness', 'informer-sync', ...LIVEZ.slice(3), 'shutdown'] : LIVEZ;
  const failed = checks.filter((c) => failing.has(c) || (c === 'etcd-readiness' && failing.has('etcd')));
  const lines = checks.map((c) => (failed.includes(c) ? `[-]${c} failed: ${failing.get(c) ?? 'reason withheld'}` : `[+]${c} ok`));
  const verbose = url.searchParams.has('verbose');
  const text = failed.length
    ? `${lines.join('\n')}\n${endpoint} check failed\n`
    : verbose
      ? `${lines.join('\n')}\n${endpoint} check passed\n`
      : 'ok';
  res.writeHead(failed.length ? 500 : 200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
    'Audit-Id': crypto.randomUUID(),
  });
  res.end(text);
}

/** Discovery documents, so kubectl (the admin's tool the benchmarks compare with) can find resources. */
function discovery(path: string, url: string): unknown {
  const groups = [
    ...new Set(
      Object.values(RESOURCES)
        .map((d) => d.group)
        .filter(Boolean),
    ),
  ];
  const gv = (g: string) => `${g}/v1`;
  if (path === '/version')
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.3',
      gitCommit: '32cc146f75aad04beaaa245a7157eb35063a9f99',
      gitTreeState: 'clean',
      buildDate: '2025-03-11T19:52:21Z',
      goVersion: 'go1.23.6',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  if (path === '/api')
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.replace('https://', '') }],
    };
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((g) => ({
        name: g,
        versions: [{ groupVersion: gv(g), version: 'v1' }],
        preferredVersion: { groupVersion: gv(g), version: 'v1' },
      })),
    };
  }
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/v1)$/.exec(path);
  if (!m || (m[1] && !groups.includes(m[1]))) return undefined;
  const group = m[1] ?? '';
  const resources = Object.entries(RESOURCES)
    .filter(([, d]) => d.group === group)
    .map(([name, d]) => ({
      name,
      singularName: d.kind.toLowerCase(),
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: ['get', 'list', 'watch'],
      ...(SHORT_NAMES[name] ? { shortNames: SHORT_NAMES[name] } : {}),
    }));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? gv(group) : 'v1', resources };
}

function lowerBound(all: Obj[], start: string): number {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(all[mid]!) < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
