import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts, writeKubeconfig, type Certs } from '../apiserver/certs.ts';
import { lease, node, nodeLease } from '../apiserver/objects.ts';
import { startApiServer, type ApiServer, type Identity } from '../apiserver/server.ts';

export const TOKENS = {
  admin: 'kB9xq2T7mVr4LpZ8sYd3Nw6Hc1Fj5Ga0',
  nojobs: 'Qe4Rt8Yu2Io6Pa1Sd5Fg9Hj3Kl7Zx0Cv',
} as const;

export interface TestCluster {
  api: ApiServer;
  certs: Certs;
  dir: string;
  /** kubeconfig with a token allowed to read everything */
  kubeconfig: string;
  /** a token that may not list Jobs */
  kubeconfigNoJobs: string;
  kubeconfigBadToken: string;
  kubeconfigWrongCa: string;
  close(): Promise<void>;
}

export async function startCluster(host = '127.0.0.1', certDays = 2): Promise<TestCluster> {
  const certs = makeCerts([host], certDays);
  const identities: Record<string, Identity> = {
    [TOKENS.admin]: { user: 'system:serviceaccount:monitoring:nagios' },
    [TOKENS.nojobs]: { user: 'system:serviceaccount:monitoring:nagios-limited', can: (_verb, resource) => resource !== 'jobs' },
  };
  const api = await startApiServer({ certs, tokens: identities, host });
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-kube-'));
  const other = makeCerts([host]);
  return {
    api,
    certs,
    dir,
    kubeconfig: writeKubeconfig(dir, api.url, certs.ca, TOKENS.admin),
    kubeconfigNoJobs: writeKubeconfig(dir, api.url, certs.ca, TOKENS.nojobs, 'kubeconfig-nojobs'),
    kubeconfigBadToken: writeKubeconfig(dir, api.url, certs.ca, 'WrongToken0000000000000000000000x', 'kubeconfig-badtoken'),
    kubeconfigWrongCa: writeKubeconfig(dir, api.url, other.ca, TOKENS.admin, 'kubeconfig-wrongca'),
    close: () => api.close(),
  };
}

/** A test cluster for a test file: started once, reset before each test, closed after all. */
export function useCluster(host?: string): () => TestCluster {
  let c: TestCluster | undefined;
  beforeAll(async () => {
    c = await startCluster(host);
  });
  afterAll(async () => c?.close());
  beforeEach(() => c?.api.reset());
  return () => c!;
}

/**
 * Three Ready nodes, both leader leases held and each node's Lease in kube-node-lease renewed seconds
 * ago (every kubelet renews one): the healthy cluster the runbook's checks start from.
 */
export function addHealthyCluster(api: ApiServer): void {
  api.add(
    'nodes',
    node({ name: 'k8s01', ip: '10.0.0.11' }),
    node({ name: 'k8s02', ip: '10.0.0.12' }),
    node({ name: 'k8s03', ip: '10.0.0.13' }),
  );
  renewHealthyLeases(api);
}

/**
 * The healthy cluster's leases, renewed now (the leader leases and the node Leases only): a test
 * whose runs together take longer than the 30 s renew deadline renews them between runs, as the
 * holders would, or its later runs read a leader giving up its lease.
 */
export function renewHealthyLeases(api: ApiServer): void {
  api.clear('leases');
  api.add('leases', lease('kube-controller-manager', 'k8s01'), lease('kube-scheduler', 'k8s03'));
  api.add('leases', nodeLease('k8s01'), nodeLease('k8s02'), nodeLease('k8s03'));
}
