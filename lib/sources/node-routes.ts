import { localRunner } from './command.ts';
import { readRoutes, type RouteTable } from './routes.ts';
import { readRemoteClock, type RemoteClock } from './ssh/clock.ts';
import type { SshSession } from './ssh/connection.ts';

/** A node's routing table, and for a node read over SSH its clock against ours. */
export interface NodeRoutes {
  table: RouteTable;
  clock?: RemoteClock;
}

/**
 * This host's routing table, or (`on`) that of --host over its SSH session, let go once read. The
 * node's kubelet stamps a pod's start on the node's clock: read over SSH, that clock is read beside
 * the routes, on the same connection, and the pods' ages taken on it.
 */
export function readNodeRoutes(signal: AbortSignal, on?: { host: string; conn: SshSession }): Promise<NodeRoutes> {
  const runner = on ? on.conn.runner() : localRunner;
  const read = async (): Promise<NodeRoutes> => {
    const clockRead = on ? readRemoteClock(on.host, runner, signal) : Promise.resolve(undefined);
    // The routes' failure, if both fail, is the one said: the check's own question (a login's
    // greeting fails the routes alone, the clock being read past it).
    clockRead.catch(() => {});
    const table = await readRoutes(runner, signal, on?.host);
    return { table, clock: await clockRead };
  };
  return read().finally(() => on?.conn.close());
}
