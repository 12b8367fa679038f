// Every check of the suite, once. The build (one bundle and launcher per entry), `microk8s-checks
// all` (which checks apply on a host; each check's own options say what it is passed), `make
// install` and the nrpe/ completeness test all read this list. Plain data and lazy imports, so
// that the build can read it without loading a check.
import type { CheckDefinition } from '../lib/plugin/runner.ts';

/**
 * What a check needs on the host before `all` runs it. 'routes': the API and this node's own
 * routing table (check_calico_routes reads the table of the host it runs on, or --host's).
 * 'dqlite-journal': a journal with k8s-dqlite's lines, so a node that runs dqlite (on a worker
 * check_kine_retries could never leave OK). 'apiserver': the API server of this node, which a
 * worker does not run (its 127.0.0.1:16443 is apiserver-proxy, forwarding to one control-plane
 * node or another).
 */
export type Needs = 'journal' | 'dqlite-journal' | 'systemd' | 'backend' | 'api' | 'apiserver' | 'routes' | 'certs' | 'restart';

export interface Entry {
  /** checks/<file>.ts */
  file: string;
  command: string;
  /** The check's name on its first line (kept equal to its definition by a unit test). */
  name: string;
  needs: Needs;
  // biome-ignore lint/suspicious/noExplicitAny: each check has its own option types; the registry only starts them.
  load: () => Promise<{ check: CheckDefinition<any> }>;
}

export const REGISTRY: Entry[] = [
  {
    file: 'dqlite-lock',
    command: 'check_dqlite_lock',
    name: 'DQLITE-LOCK',
    needs: 'journal',
    load: () => import('./dqlite-lock.ts'),
  },
  {
    file: 'kine-retries',
    command: 'check_kine_retries',
    name: 'KINE-RETRIES',
    needs: 'dqlite-journal',
    load: () => import('./kine-retries.ts'),
  },
  { file: 'services', command: 'check_services', name: 'SERVICES', needs: 'systemd', load: () => import('./services.ts') },
  { file: 'dqlite', command: 'check_dqlite', name: 'DQLITE', needs: 'backend', load: () => import('./dqlite.ts') },
  {
    file: 'dqlite-storage',
    command: 'check_dqlite_storage',
    name: 'DQLITE-STORAGE',
    needs: 'backend',
    load: () => import('./dqlite-storage.ts'),
  },
  { file: 'nodes', command: 'check_nodes', name: 'NODES', needs: 'api', load: () => import('./nodes.ts') },
  { file: 'leases', command: 'check_leases', name: 'LEASES', needs: 'api', load: () => import('./leases.ts') },
  {
    file: 'watch-cache',
    command: 'check_watch_cache',
    name: 'WATCH-CACHE',
    needs: 'apiserver',
    load: () => import('./watch-cache.ts'),
  },
  {
    file: 'stale-jobs',
    command: 'check_stale_jobs',
    name: 'STALE-JOBS',
    needs: 'api',
    load: () => import('./stale-jobs.ts'),
  },
  {
    file: 'observed-generation',
    command: 'check_observed_generation',
    name: 'OBSERVED-GENERATION',
    needs: 'api',
    load: () => import('./observed-generation.ts'),
  },
  {
    file: 'scheduling',
    command: 'check_scheduling',
    name: 'SCHEDULING',
    needs: 'api',
    load: () => import('./scheduling.ts'),
  },
  {
    file: 'apiserver',
    command: 'check_apiserver',
    name: 'APISERVER',
    needs: 'apiserver',
    load: () => import('./apiserver.ts'),
  },
  { file: 'certs', command: 'check_certs', name: 'CERTS', needs: 'certs', load: () => import('./certs.ts') },
  { file: 'cronjobs', command: 'check_cronjobs', name: 'CRONJOBS', needs: 'api', load: () => import('./cronjobs.ts') },
  {
    file: 'pod-restarts',
    command: 'check_pod_restarts',
    name: 'POD-RESTARTS',
    needs: 'api',
    load: () => import('./pod-restarts.ts'),
  },
  {
    file: 'calico-routes',
    command: 'check_calico_routes',
    name: 'CALICO-ROUTES',
    needs: 'routes',
    load: () => import('./calico-routes.ts'),
  },
  {
    file: 'restart-preflight',
    command: 'check_restart_preflight',
    name: 'RESTART-PREFLIGHT',
    needs: 'restart',
    load: () => import('./restart-preflight.ts'),
  },
];
