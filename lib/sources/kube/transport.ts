import { lookup } from '../../dns.ts';
import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import {
  SelfDecodingBody,
  wrapHttpLibrary,
  type HttpLibrary,
  type KubeConfig,
  type RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../logger.ts';
import { ANSWER_LOST, KubeError, OversizedAnswer } from './errors.ts';
import type { PluginFailure } from './credentials.ts';
import { CONNECTION_PATIENCE_MS, ConnectionSlots } from '../slots.ts';
import { patienceFor } from './connection-slots.ts';
import { proxyFailure } from './proxy-failure.ts';
import { secureContexts } from './tls-context.ts';

/**
 * How client-node's generated APIs send their requests here: node:https, with the kubeconfig's
 * credentials, TLS settings and proxy as client-node's own applyToHTTPSOptions gives them.
 *
 * client-node's default transport is undici's fetch. Loading undici was a third of an API check's
 * start-up (it runs every minute on every node), and client-node builds a new connection pool
 * for every request, so each list page paid a TLS handshake. One keep-alive agent per cluster
 * reuses the connection across pages and parallel requests.
 *
 * No Accept-Encoding: the API server is usually on the same node, and gzip would cost its CPU
 * (the one under write contention) to save bytes on loopback. With -vv each request is logged
 * (method, path, status, size, time; never a header). `maxSockets` bounds the connections
 * (and TLS handshakes) kept; more requests wait for one to be free, up to `patienceMs`, and then
 * open one of their own (ConnectionSlots says why).
 */
export function httpsTransport(
  kc: KubeConfig,
  userAgent: string,
  log: Logger = silentLogger,
  pluginFailure: () => PluginFailure | undefined = () => undefined,
  maxSockets = Infinity,
  patienceMs = CONNECTION_PATIENCE_MS,
): HttpLibrary {
  let keepAlive: http.Agent | undefined;
  let ownWay: http.Agent | undefined;
  const slots = new ConnectionSlots(maxSockets);
  return wrapHttpLibrary({
    async send(ctx: RequestContext): Promise<ResponseContext> {
      const options: https.RequestOptions = {};
      // Per request: exec and OIDC credentials may have been renewed since the last one.
      try {
        await kc.applyToHTTPSOptions(options);
      } catch (err) {
        const user = kc.getCurrentUser();
        const plugin = pluginFailure();
        const fix = 'run the plugin by hand as the user running the check';
        // Never the plugin's own words: what it prints on failure may hold a token or a key.
        if (plugin)
          throw new KubeError(
            `credential plugin '${plugin.command}' of kubeconfig user '${user?.name}' failed ` +
              `(${plugin.code === null ? 'it could not be run' : `exit ${plugin.code}`})`,
            { fix },
          );
        if (user?.exec) throw new KubeError(`credential plugin of kubeconfig user '${user.name}' gave no usable credential`, { fix });
        // Only a renewal fails here (a token still valid is sent as it is); the OIDC library's words
        // are not repeated: they may quote what the issuer answered.
        if (user?.authProvider)
          throw new KubeError(`the oidc id-token of kubeconfig user '${user.name}' has expired, and renewing it failed`, {
            fix:
              'give the checks a credential that needs no renewing by them: a ServiceAccount token (docs/api.md), ' +
              'or kubelogin as an exec credential plugin',
          });
        throw new KubeError(`cannot load the credentials of kubeconfig user '${user?.name ?? '(none)'}'`, {
          cause: err,
          fix: 'check its client-certificate, client-key or exec entries, and that the check user may read them',
        });
      }
      // Verified unless the kubeconfig says insecure-skip-tls-verify (client-node then sets false):
      // left unset, Node takes NODE_TLS_REJECT_UNAUTHORIZED=0 from the environment and trusts any server.
      options.rejectUnauthorized ??= true;
      const url = new URL(ctx.getUrl());
      const client = url.protocol === 'http:' ? http : https;
      // The TLS settings travel with each request and are part of the agent's pool key, so one
      // agent serves them all. A proxy needs client-node's own agent (hpagent, socks).
      let agent = options.agent;
      let release: (() => void) | undefined;
      if (!kc.getCurrentCluster()?.proxyUrl) {
        keepAlive ??= new client.Agent({ keepAlive: true, maxSockets, lookup });
        if (await slots.take(ctx.getSignal(), patienceFor(ctx, patienceMs))) {
          agent = keepAlive;
          release = () => slots.release();
        } else agent = ownWay ??= new client.Agent({ keepAlive: true, lookup });
      }
      const body = ctx.getBody();
      if (body !== undefined && typeof body !== 'string') {
        release?.();
        throw new TypeError('only string request bodies are supported');
      }
      const request: https.RequestOptions & Pick<ConnectionOptions, 'secureContext'> = {
        ...options,
        agent,
        method: ctx.getHttpMethod(),
        headers: { ...options.headers, ...ctx.getHeaders(), 'User-Agent': userAgent },
        signal: ctx.getSignal(),
      };
      // Our own pool's connections share one TLS context per set of credentials (a proxy's agent makes its own).
      if (client === https && agent !== undefined && (agent === keepAlive || agent === ownWay))
        request.secureContext = secureContexts.for(options);
      return exchange(client, url, request, body, log, release).catch((err: NodeJS.ErrnoException) => {
        // The one header a kubeconfig writes is Authorization: a token (or a tokenFile, or a
        // plugin's) holding a line break or another control character, which Node will not send
        // (refused before any connection: never the proxy's failure either).
        if (err.code !== 'ERR_INVALID_CHAR') {
          const proxyUrl = kc.getCurrentCluster()?.proxyUrl;
          const viaProxy = proxyUrl && !ctx.getSignal()?.aborted ? proxyFailure(err, url.origin, proxyUrl) : undefined;
          throw viaProxy ?? err;
        }
        const user = kc.getCurrentUser()?.name ?? '(none)';
        throw new KubeError(`the token of kubeconfig user '${user}' holds a character no HTTP header can carry (a line break?)`, {
          fix: 'check its token, tokenFile or credential plugin: one token, on one line',
        });
      });
    },
  });
}

/**
 * One request and its response. A server may close an idle kept-alive connection just as the
 * client sends on it (a kubelite restart closes them all): such a request got no answer, and a
 * GET, safe to ask twice, is sent once more on a new connection rather than reported as UNKNOWN.
 * `settled`: told once, when the answer is read in full or the request failed.
 */
function exchange(
  client: typeof http | typeof https,
  url: URL,
  request: https.RequestOptions,
  body: string | undefined,
  log: Logger,
  settled: () => void = () => undefined,
  retried = false,
): Promise<ResponseContext> {
  const { method } = request;
  const path = url.pathname + url.search;
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve, reject) => {
    let answered = false;
    let req: http.ClientRequest;
    try {
      req = client.request(url, request, (res) => {
        answered = true;
        const data = readAll(res, url, request.signal);
        data.finally(settled).catch(() => undefined);
        data.then(
          (b) => log.debug({ method, path, status: res.statusCode, bytes: b.length, ms: ms(), reused: req.reusedSocket }, 'API request'),
          (err: Error) => log.debug({ method, path, status: res.statusCode, ms: ms(), error: err.message }, 'API response cut off'),
        );
        resolve(new ResponseContext(res.statusCode ?? 0, flatHeaders(res.headers), new SelfDecodingBody(data)));
      });
    } catch (err) {
      // Refused before anything was sent (a header Node will not send, such as a token holding a newline).
      settled();
      throw err;
    }
    req.once('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET' && method === 'GET' && !retried && !request.signal?.aborted) {
        log.debug({ method, path, ms: ms() }, 'kept-alive connection closed by the server; asking again on a new one');
        resolve(exchange(client, url, request, body, log, settled, true));
        return;
      }
      log.debug({ method, path, ms: ms(), error: err.message }, 'API request failed');
      // Failed after its answer began: that answer's reading settles it (cut off).
      if (!answered) settled();
      reject(err);
    });
    req.end(body);
  });
}

/**
 * The most one answer may bring. A page is at most 500 objects (PAGE_SIZE), a few MiB even for
 * large Pods; a server or proxy that sends more without end would take all memory before -t.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Read the body now, so the connection goes back to the agent whether or not anyone asks for it. */
function readAll(res: http.IncomingMessage, url: URL, signal: AbortSignal | undefined): Promise<Buffer> {
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The server answered, then the connection ended mid-answer: said so, not "unreachable" (the
    // run's own deadline or signal, which ends it too, says its own words). Node's own word for it,
    // "aborted", adds nothing: -vvv logs it ('API response cut off').
    const cut = (cause?: Error) =>
      reject(
        signal?.aborted
          ? (cause ?? Object.assign(new Error('connection closed before the response ended'), { code: 'ECONNRESET' }))
          : new KubeError(`API server ${url.origin} cut off its answer to ${url.pathname} after ${size} bytes`, {
              fix: ANSWER_LOST,
            }),
      );
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RESPONSE_BYTES) return void chunks.push(chunk);
      const bound = `${MAX_RESPONSE_BYTES / 1048576} MiB`;
      reject(new OversizedAnswer(`API server ${url.origin} sent more than ${bound} for ${url.pathname}: stopped reading`));
      res.destroy();
    });
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', cut);
    res.once('close', () => {
      if (!res.complete) cut();
    });
  });
  // A body nobody reads (an error already reported) must not become an unhandled rejection.
  done.catch(() => undefined);
  return done;
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
