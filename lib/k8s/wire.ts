// How Kubernetes objects arrive from a list: the JSON as it is, typed by client-node's models.

/**
 * A Kubernetes object as lists hand it over: client-node's type, with its times as the RFC 3339
 * strings the JSON carries (lib/sources/kube/request.ts, listOptions, hands items over unconverted).
 */
export type Wire<T> = T extends Date ? string : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;
