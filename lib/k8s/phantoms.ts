// "Phantom RS status": a controller-manager working from a frozen cache leaves ReplicaSets
// reporting available pods that no longer exist. A phantom is a ReplicaSet whose status claims
// available pods while no Ready pod it controls backs the claim. ReplicaSets and pods are listed
// apart, so the two halves are collected as they stream and matched at the end.
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { isLiveReady } from './rollout.ts';
import type { Wire } from './wire.ts';

/** A ReplicaSet claiming available pods that no Ready pod of its own backs. */
export interface Phantom {
  namespace: string;
  name: string;
  /** The Deployment controlling it, '' where none does. */
  owner: string;
  available: number;
}

/** Claims and Ready pods as they stream by; only what a phantom needs is kept, so big clusters stay small. */
export class PhantomFinder {
  private readonly claims: (Phantom & { uid: string })[] = [];
  private readonly readyOwners = new Set<string>();

  /** A ReplicaSet as listed: kept only if its status claims available pods. */
  replicaSet(rs: Wire<V1ReplicaSet>): void {
    const available = rs.status?.availableReplicas ?? 0;
    if (available <= 0) return;
    const owner = rs.metadata?.ownerReferences?.find((o) => o.controller)?.name ?? '';
    this.claims.push({
      namespace: rs.metadata?.namespace ?? '',
      name: rs.metadata?.name ?? '',
      owner,
      available,
      uid: rs.metadata?.uid ?? '',
    });
  }

  /** A pod as listed: a live Ready one backs its controller's claim. */
  pod(pod: Wire<V1Pod>): void {
    if (!isLiveReady(pod)) return;
    for (const owner of pod.metadata?.ownerReferences ?? []) if (owner.controller) this.readyOwners.add(owner.uid);
  }

  /** Once both lists are read: the claims no Ready pod backs. */
  phantoms(): Phantom[] {
    return this.claims.filter((c) => !this.readyOwners.has(c.uid)).map(({ uid: _, ...p }) => p);
  }
}
