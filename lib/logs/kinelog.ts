// Shapes of k8s-dqlite (kine) and etcd-client log lines, as they appear in MicroK8s journals.

const TRY = /\(try: (\d+)\)/g;
const LOGRUS_LEVEL = /(?:^|\s)level=(\w+)/;
const ATTEMPT = /"attempt":\s*(\d+)/;

export const RETRY_MARKER = 'retrying of unary invoker failed';
export const CONN_CLOSING = 'grpc: the client connection is closing';

// kubelite's gRPC client failing to reach kine's socket: `... {Addr: "unix:///var/snap/microk8s/
// <rev>/var/kubernetes/backend/kine.sock:12379" ...} ... connect: connection refused`, or the
// runbook's `kine.sock:12379: use of closed network connection`.
const KINE_SOCKET = /kine\.sock:12379/;
const SOCKET_FAILURE = /connect: connection refused|use of closed network connection/;

/** A kubelite line saying it could not reach (or lost) kine's socket. */
export function isKineSocketFailure(message: string): boolean {
  return KINE_SOCKET.test(message) && SOCKET_FAILURE.test(message);
}

/**
 * The retry count of a k8s-dqlite error: its last `(try: N)`, or undefined when it has none.
 * k8s-dqlite formats exactly one per error, its retry wrapper's around the SQL driver's own error
 * (pkg/kine/drivers/generic/generic.go, sqlite/sqlite.go: fmt.Errorf("exec (try: %d): %w", ...)),
 * which never holds one; what comes before it in the line is the client's key and range end, logged
 * raw ("error while range on %s %s: %v", pkg/kine/server/server.go; "update transaction failed for
 * key <key>: ..."), and a key can hold that text too. So the line's own count is the last one,
 * never the first or the largest.
 */
export function tryCount(message: string): number | undefined {
  if (!message.includes('(try: ')) return undefined;
  let last: number | undefined;
  for (const m of message.matchAll(TRY)) last = Number(m[1]);
  return last;
}

/** logrus level of a k8s-dqlite line (`level=error`), lower-cased, if it has one. */
export function logrusLevel(message: string): string | undefined {
  return LOGRUS_LEVEL.exec(message)?.[1]?.toLowerCase();
}

export interface EtcdRetry {
  attempt: number;
  error?: string;
  method?: string;
}

/**
 * The etcd client's zap JSON line `retrying of unary invoker failed`, with or without `method`
 * and whatever `caller` line; journald may have cut the JSON short, so the attempt is also
 * found without parsing.
 */
export function etcdRetry(message: string): EtcdRetry | undefined {
  if (!message.includes(RETRY_MARKER)) return undefined;
  const start = message.indexOf('{');
  if (start !== -1) {
    try {
      const obj = JSON.parse(message.slice(start)) as Record<string, unknown>;
      if (obj.msg === RETRY_MARKER && typeof obj.attempt === 'number') {
        return {
          attempt: obj.attempt,
          error: typeof obj.error === 'string' ? obj.error : undefined,
          method: typeof obj.method === 'string' ? obj.method : undefined,
        };
      }
    } catch {
      // fall through to the pattern
    }
  }
  const m = ATTEMPT.exec(message);
  return m ? { attempt: Number(m[1]) } : undefined;
}
