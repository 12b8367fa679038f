// A quorum read of the node leases that kube-apiserver refuses may be the watch cache saying it is
// behind, which is the very thing check_watch_cache looks for; anything else that answers 504 or
// 429 at the address (a proxy, a rate limit) says nothing about the cache, and is named as such.
import { KubeError } from './errors.ts';

/**
 * Whether a refused quorum read is kube-apiserver saying its watch cache is behind, in its own
 * words (k8s.io/apiserver: storage.NewTooLargeResourceVersionError is a 504 Status, reason
 * Timeout, "Timeout: Too large resource version: <asked>, current: <cache's>", with the cause
 * ResourceVersionTooLarge; the cacher that is not ready answers 429 TooManyRequests "storage is
 * (re)initializing"). A proxy's 504 page or a rate limit's plain 429 says nothing about the cache.
 */
export function cacheBehind(err: KubeError): string | undefined {
  const s = err.answer?.apiStatus;
  if (!s) return undefined;
  const tooLarge =
    s.reason === 'Timeout' && (s.causes.includes('ResourceVersionTooLarge') || s.message.includes('Too large resource version'));
  const initializing = s.reason === 'TooManyRequests' && s.message.includes('storage is (re)initializing');
  if ((err.status === 504 && tooLarge) || (err.status === 429 && initializing)) return `${err.status}: ${s.message}`;
  return undefined;
}

/** A refused quorum read that is not the cache being behind: who answered, and what. */
export function notTheCache(err: KubeError, server: string): KubeError {
  const a = err.answer;
  const who = a?.apiStatus
    ? `kube-apiserver's Status ${a.apiStatus.reason || 'without a reason'}${a.apiStatus.message ? `: ${a.apiStatus.message}` : ''}`
    : a?.rateLimited
      ? `kube-apiserver's API Priority and Fairness: ${a.rateLimited}`
      : `${a?.bytes ?? 0} bytes of ${a?.contentType ?? 'no content type'}, not kube-apiserver's ` +
        `Status (a proxy or load balancer in between?)`;
  return new KubeError(
    `${server} answered the quorum read of node leases with ${err.status} (${who}): that does not say whether the watch cache is behind`,
    {
      fix:
        err.status === 429
          ? 'the API server is overloaded or rate-limits this client (API Priority and Fairness): rerun, check kubelite'
          : 'check what answers at this address, and that kubelite runs there',
    },
    err.status,
    err.answer,
  );
}
