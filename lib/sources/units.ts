// What systemd says of the MicroK8s units on a host (and, for a troubled one, its journal): the
// units chosen by the node's lock files as `microk8s inspect` does, or named by the user.
import type { Deadline } from '../plugin/deadline.ts';
import type { TargetResult } from '../plugin/fanout.ts';
import type { SshArgs } from '../options/ssh.ts';
import { localRunner, type CommandRunner } from './command.ts';
import { execHere, type StreamExec } from './journalctl.ts';
import {
  type NodeLocks,
  type NodeServices,
  readLocks,
  readLocksWith,
  SNAP_DATA,
  SnapDataError,
  serviceUnit,
  servicesOf,
} from './snap-locks.ts';
import { forEachHost } from './ssh/hosts.ts';
import type { SshShare } from './ssh/share.ts';
import { hostUnitClock, localUnitClock, readUnits, type UnitClock, type UnitState } from './systemd.ts';
import { lastWords } from './unit-journal.ts';

/** What systemd (and, where readable, the journal) says of the units on one host. */
export interface UnitFacts {
  units: UnitState[];
  /**
   * The clock the units' stamps are measured against, read after them; none where no unit was
   * asked: nothing is timed there, and over SSH its reading costs two commands more, each one a
   * way to fail. (The gate asks kubelite on every node, a worker's too: its start is timed.)
   */
  clock?: UnitClock;
  /** Wall-clock ms of the reading: when the samples were taken. */
  at: number;
  /** Per unit: its newest "restart counter is at N" or level=fatal line of the last hour. */
  lastWords: Map<string, string>;
  /** Why the journal could not be read, if it could not. */
  journalProblem?: string;
  /** MicroK8s units this node does not run, with why (from its lock files; none with --unit). */
  leftOut: NodeServices['leftOut'];
  /** The lock file holding k8s-dqlite back on a node meant to run it. */
  heldBack?: string;
  /** `microk8s stop` left stopped.lock (NodeServices). */
  stopped?: boolean;
}

/**
 * The units to read: named by the user, or those MicroK8s' lock files under $SNAP_DATA say this
 * node runs; `only`: of those, these alone (the others are not asked, nor said to be left out).
 * `fallback`: the units to ask for where there is no $SNAP_DATA at all (not a snap install).
 * `named`: the option that names the units instead of the lock files, which a fix offers where
 * they cannot be read; none where the check chooses them itself (the gate's --unit adds journal units).
 * `startOnly`: units asked beside those on every node, whatever the lock files say, for when they
 * started alone: their last words are not read (the gate's kubelite).
 */
export type UnitChoice = string[] | { snapData: string; only?: string[]; fallback?: string[]; named?: string; startOnly?: string[] };

/**
 * k8s-dqlite where the node's lock files say it runs (a worker's is inactive by design, and said);
 * where there is no $SNAP_DATA at all, asked for all the same (not found there: said, never healthy).
 */
export const k8sDqliteChoice = (snapData?: string): UnitChoice => ({
  snapData: snapData ?? SNAP_DATA,
  only: [serviceUnit('k8s-dqlite')],
  fallback: snapData === undefined ? [serviceUnit('k8s-dqlite')] : undefined,
});

/**
 * The gate's: k8s-dqlite as k8sDqliteChoice, and kubelite on every node (a worker's too) for its start
 * on systemd's monotonic clock, asked in the same `systemctl show`.
 */
export const gateUnitChoice = (snapData?: string): UnitChoice => ({ ...k8sDqliteChoice(snapData), startOnly: [serviceUnit('kubelite')] });

/** Which units the choice comes to on a node, and those left out with why. */
async function chosenUnits(choice: UnitChoice, locks: () => Promise<NodeLocks>): Promise<NodeServices> {
  if (Array.isArray(choice)) return { units: choice, leftOut: [] };
  const node = await lockedUnits(choice, locks);
  return { ...node, units: [...new Set([...node.units, ...(choice.startOnly ?? [])])] };
}

/** The units of a choice by the node's lock files (or its fallback), before those asked for their start alone. */
async function lockedUnits(choice: Exclude<UnitChoice, string[]>, locks: () => Promise<NodeLocks>): Promise<NodeServices> {
  let node: NodeServices;
  try {
    node = servicesOf(await locks());
  } catch (err) {
    if (choice.fallback && err instanceof SnapDataError && err.notInstalled) return { units: choice.fallback, leftOut: [] };
    throw err;
  }
  if (!choice.only) return node;
  const only = new Set(choice.only);
  return {
    units: node.units.filter((u) => only.has(u)),
    leftOut: node.leftOut.filter((l) => only.has(l.unit)),
    heldBack: only.has(serviceUnit('k8s-dqlite')) ? node.heldBack : undefined,
    stopped: node.stopped,
  };
}

/** systemd's view of the units on one host, through its command runner and journal reader. */
export async function readUnitFacts(
  choice: UnitChoice,
  locks: () => Promise<NodeLocks>,
  run: CommandRunner,
  exec: StreamExec,
  clockNow: () => Promise<UnitClock>,
  deadline: Deadline,
  /** Over SSH: the login, whom a journal fix names. */
  login?: string,
): Promise<UnitFacts> {
  const node = await chosenUnits(choice, locks);
  // None to ask (a worker's k8s-dqlite alone was asked for): systemctl show without a unit describes systemd itself.
  const { units: states, clock } = node.units.length ? await readUnits(run, node.units, deadline.signal, clockNow) : { units: [] };
  const at = Date.now();
  const startOnly = new Set(Array.isArray(choice) ? [] : choice.startOnly);
  const troubled = states
    .filter((u) => u.load !== 'not-found' && !startOnly.has(u.id) && (u.restarts > 0 || u.active !== 'active'))
    .map((u) => u.id);
  // The last hour on the host's wall clock, which its journal is stamped on; ours may be hours off.
  const hostNow = clock?.on === 'host' ? clock.wallMs : at;
  const words = troubled.length ? await lastWords(troubled, hostNow, exec, deadline, login) : { lines: new Map<string, string>() };
  return {
    units: states,
    clock,
    at,
    lastWords: words.lines,
    journalProblem: words.problem,
    leftOut: node.leftOut,
    heldBack: node.heldBack,
    stopped: node.stopped,
  };
}

/** A unit's last words are read from this host's journal alone: check_services takes no --log-file. */
const unitJournal = execHere('install systemd (journalctl)');

/**
 * The units on this host, or on each --host over SSH (one failing host is an error in its own
 * result; this host failing throws): what check_services and check_restart_preflight both read.
 */
export async function readUnitHosts(
  args: SshArgs,
  choice: UnitChoice,
  deadline: Deadline,
  share?: SshShare,
): Promise<{ host?: string; facts?: UnitFacts; error?: unknown }[]> {
  const snapData = Array.isArray(choice) ? SNAP_DATA : choice.snapData;
  if (!args.host?.length) {
    deadline.activity = 'asking systemd about the units';
    const locks = async () => readLocks(snapData);
    return [{ facts: await readUnitFacts(choice, locks, localRunner, unitJournal, localUnitClock, deadline) }];
  }
  deadline.activity = `asking systemd on ${args.host.join(', ')} over SSH`;
  const results = await forEachHost(
    { ...args, host: args.host },
    deadline,
    (conn, host, d) => {
      const run = conn.runner();
      const locks = () => readLocksWith(run, snapData, d.signal, Array.isArray(choice) ? undefined : choice.named);
      const exec: StreamExec = (argv, signal, sink) => conn.exec(argv, signal, sink);
      return readUnitFacts(choice, locks, run, exec, hostUnitClock(host, run, d), d, conn.target.user);
    },
    share,
  );
  return results.map((r: TargetResult<UnitFacts>) => ({ host: r.target, facts: r.value, error: r.error }));
}
