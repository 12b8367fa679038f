// Log line shapes exactly as MicroK8s components print them, taken from real lines quoted in
// public MicroK8s bug reports (canonical/microk8s issues).

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function at(ageSeconds: number, now = Date.now()): Date {
  return new Date(now - ageSeconds * 1000);
}

/** k8s-dqlite's logrus text: time="2023-11-27T09:30:47Z" level=error msg="..." */
export function logrus(when: Date, level: string, msg: string): string {
  return `time="${when.toISOString().replace(/\.\d{3}Z$/, 'Z')}" level=${level} msg="${msg.replace(/"/g, '\\"')}"`;
}

/** klog header: E1124 06:10:11.954900 2348286 file.go:71] msg */
export function klog(when: Date, severity: 'I' | 'W' | 'E' | 'F', pid: number, fileLine: string, msg: string): string {
  const micros = `${pad(when.getUTCMilliseconds(), 3)}000`;
  const stamp =
    `${pad(when.getUTCMonth() + 1)}${pad(when.getUTCDate())} ` +
    `${pad(when.getUTCHours())}:${pad(when.getUTCMinutes())}:${pad(when.getUTCSeconds())}.${micros}`;
  return `${severity}${stamp} ${String(pid).padStart(7)} ${fileLine}] ${msg}`;
}

/**
 * The etcd client's zap JSON retry line, as kube-apiserver inside kubelite prints it: the older
 * client (no method, retry_interceptor.go:62) stamps local time in ms with an offset
 * ("2022-01-17T17:53:04.388+0100", canonical/microk8s#2846), the newer one (method,
 * retry_interceptor.go:65) UTC in µs ("2025-10-08T05:54:14.522054Z", kubernetes/kubernetes#134468).
 */
export function etcdRetry(when: Date, attempt: number, error: string, method?: string): string {
  const iso = when.toISOString();
  const obj: Record<string, unknown> = {
    level: 'warn',
    ts: method ? iso.replace(/\.(\d{3})Z$/, '.$1000Z') : iso.replace('Z', '+0000'),
    logger: 'etcd-client',
    caller: method ? 'v3/retry_interceptor.go:65' : 'v3/retry_interceptor.go:62',
    msg: 'retrying of unary invoker failed',
    target: 'etcd-endpoints://0xc000bdf500/#initially=[unix:///var/snap/microk8s/7449/var/kubernetes/backend/kine.sock:12379]',
  };
  if (method) obj.method = method;
  obj.attempt = attempt;
  obj.error = error;
  return JSON.stringify(obj);
}

export const LOCK_TXN =
  'error in txn: update transaction failed for key ' +
  '/registry/leases/kube-system/kube-controller-manager: exec (try: 500): database is locked';
export const LOCK_CREATE =
  'error in txn: create transaction failed for key ' +
  '/registry/events/openebs/pvc-5f3c1a2e.17f9a3c2b1d0e4f5: exec (try: 500): database is ' +
  'locked';
