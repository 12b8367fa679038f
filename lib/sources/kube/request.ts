import {
  ApiException,
  Observable,
  ResponseContext,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
} from '@kubernetes/client-node';
import { requestEnds } from './connection-slots.ts';
import { describe, isObject, kindOf, KubeError, kubeError, type Resource, serverAddress } from './errors.ts';

// One request to the API server: tied to the run's deadline, its 200 checked for being what was
// asked for, retried once when the server is overloaded.

/** A body read as JSON: the parsed value, or why it is not JSON at all. */
function parseBody(text: string): { value?: unknown; invalid?: true } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { invalid: true };
  }
}

const notTheApi = (given?: string) =>
  `check ${serverAddress(given)}: something other than the Kubernetes API answers there (a proxy, another service)`;

/**
 * What a 200 answer must be for the checks to trust it: a list (an object whose `items` is an
 * array, or null for none) or an object with metadata, of the kind asked for, as the API server
 * names it in every answer. A proxy's login page, a health endpoint at a wrong URL, `{}`, or one
 * list served for every path would otherwise read as an empty list, and an empty list is an OK.
 */
function unexpectedBody(
  ctx: ResponseContext,
  text: string,
  what: Resource,
  server: string,
  list: boolean,
  given?: string,
): { error?: KubeError; value?: Record<string, unknown> } {
  const { value, invalid } = parseBody(text);
  const kind = kindOf(what);
  const wanted = kind && (list ? `${kind}List` : kind);
  const shaped =
    isObject(value) &&
    (list ? value.items === null || (Array.isArray(value.items) && value.items.every(isObject)) : isObject(value.metadata));
  if (shaped && (!wanted || value.kind === wanted)) return { value: value as Record<string, unknown> };
  const type = ctx.headers['content-type']?.split(';')[0] || 'no content type';
  const named = isObject(value) && typeof value.kind === 'string' ? `a ${value.kind.slice(0, 60)}` : 'an object naming no kind';
  const shape = invalid
    ? 'not JSON'
    : shaped
      ? `${named}, not a ${wanted}`
      : Array.isArray(value)
        ? 'a JSON array'
        : isObject(value) && list && Array.isArray(value.items)
          ? 'a list whose items are not all objects'
          : isObject(value)
            ? `a JSON object that is not ${list ? 'a list' : 'an API object'}`
            : `a JSON ${value === null ? 'null' : typeof value}`;
  return {
    error: new KubeError(`API server ${server} answered ${describe(what)} with ${shape} (${type}, ${text.length} bytes)`, {
      fix: notTheApi(given),
    }),
  };
}

/** A post step that lets a 200 through only when its body is what was asked for (unexpectedBody). */
function checkedBody(
  what: Resource,
  { server, given }: Pick<RequestPolicy, 'server' | 'given'>,
  list: boolean,
  use: (value: Record<string, unknown>) => string | undefined = () => undefined,
): ObservableMiddleware['post'] {
  return (ctx) =>
    new Observable(
      (async () => {
        const status = ctx.httpStatusCode;
        // client-node takes any 2xx for a success and reads its body whatever it is: a proxy's
        // 203 with its HTML page was an empty list. The API server answers a GET with 200 only.
        if (status > 200 && status < 300)
          throw new KubeError(`API server ${server} answered ${status} to ${describe(what)}, not 200`, { fix: notTheApi(given) });
        if (status !== 200) return ctx;
        const text = await ctx.body.text();
        const { error, value } = unexpectedBody(ctx, text, what, server, list, given);
        if (error) throw error;
        const rest = use(value!) ?? text;
        // Read as JSON above, whatever its Content-Type said: client-node parses by that and knows
        // no other (text/plain, application/yaml were internal errors).
        return new ResponseContext(
          ctx.httpStatusCode,
          { ...ctx.headers, 'content-type': 'application/json' },
          {
            text: async () => rest,
            binary: async () => Buffer.from(rest),
            stream: () => null,
          },
        );
      })(),
    );
}

/** Per-request options that tie the request to the run's deadline and check what a 200 brings. */
export function requestOptions(
  policy: RequestPolicy,
  what: Resource,
  post: ObservableMiddleware['post'] = checkedBody(what, policy, what.verb === 'list'),
): ConfigurationOptions {
  // The object-parameter API hands these to the observable API, so the middleware is observable-style.
  const mw: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(policy.signal);
      requestEnds.set(ctx, Date.now() + policy.remainingMs());
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
export function listOptions(policy: RequestPolicy, what: Resource, onItems: (items: unknown[]) => void): ConfigurationOptions {
  return requestOptions(
    policy,
    what,
    checkedBody(what, policy, true, (page) => {
      onItems((page.items as unknown[] | null) ?? []);
      return JSON.stringify({ ...page, items: [] });
    }),
  );
}

export interface RequestPolicy {
  signal: AbortSignal;
  server: string;
  /** The option that gave `server` (--server), which a fix names for its address; none: the kubeconfig's. */
  given?: string;
  /** The kubeconfig's context, when it sends no credentials: what a 401 asks for is some. */
  sendsNone?: string;
  /** Milliseconds left in the run, for honouring Retry-After. */
  remainingMs: () => number;
  /**
   * Told, before a retry waits waitMs for a Retry-After, the error that asked for it: a read shared
   * by checks of several deadlines (share.ts) gives it at once to each that cannot wait so long.
   */
  retrying?: (error: KubeError, waitMs: number) => void;
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
      if (!retriable || attempt > 0) throw kubeError(err, what, policy);
      const after = Number((err as ApiException<unknown>).headers?.['retry-after'] ?? 1);
      const waitMs = Math.max(0, Number.isFinite(after) ? after * 1000 : 1000);
      const error = kubeError(err, what, policy);
      if (waitMs >= policy.remainingMs()) throw error;
      policy.retrying?.(error, waitMs);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
