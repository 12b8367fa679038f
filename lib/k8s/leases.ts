import type { V1Lease } from '@kubernetes/client-node';

/** holderIdentity is "<hostname>_<uuid>" for kcm and scheduler leader locks. */
export function holderNode(lease: V1Lease): string | undefined {
  const id = lease.spec?.holderIdentity;
  if (!id) return undefined;
  const cut = id.indexOf('_');
  return cut === -1 ? id : id.slice(0, cut);
}

/** Seconds since the holder last renewed; undefined when it never did. */
export function renewAge(lease: V1Lease, now: number): number | undefined {
  const t = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  return t ? Math.max(0, (now - new Date(t).getTime()) / 1000) : undefined;
}
