import { DqliteError } from './dqlite.ts';

/** dqlite's numbering of roles (not raft's): 0 voter, 1 stand-by, 2 spare. */
export type DqliteRole = 'voter' | 'stand-by' | 'spare';
const ROLES: DqliteRole[] = ['voter', 'stand-by', 'spare'];

export interface Member {
  id: string;
  address: string;
  role: DqliteRole;
}

/** "10.0.0.11:19001" or "[fd00::1]:19001" as host and port; undefined for anything else. */
export function hostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  return m && port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

/**
 * go-dqlite's node store files: cluster.yaml is a YAML list of {ID, Address, Role}, info.yaml one
 * such entry (this node). Only those three scalar keys occur (in either order: it differs by
 * go-dqlite version); a file that does not parse so, or names an address that is no host:port,
 * is refused rather than half read.
 */
/** The most members a node store may name. */
const MAX_MEMBERS = 256;

export function parseNodeYaml(text: string, file: string): Member[] {
  const members: Member[] = [];
  let current: Partial<Record<'ID' | 'Address' | 'Role', string>> | undefined;
  const flush = () => {
    if (!current) return;
    // Each member is probed at once, within -t: thousands (a file of something else, or written
    // in a loop) kept the run busy minutes past it, and past 1024 open sockets a probe fails as
    // if its member were down. A MicroK8s cluster has tens of nodes at most.
    if (members.length >= MAX_MEMBERS)
      throw new DqliteError(`${file} names more than ${MAX_MEMBERS} members: no dqlite cluster of MicroK8s is that large`);
    const role = ROLES[Number(current.Role)];
    if (!current.Address || current.ID === undefined || !/^\d+$/.test(current.ID) || role === undefined)
      throw new DqliteError(`${file} holds an entry without a usable ID, Address and Role`);
    if (!hostPort(current.Address)) throw new DqliteError(`${file} names '${current.Address.slice(0, 60)}', which is no host:port address`);
    members.push({ id: current.ID, address: current.Address, role });
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    // Comments, whole lines too, and document markers: YAML go-dqlite reads, left by a hand edit (restore-quorum).
    const line = raw.replace(/(^|\s+)#.*$/, '').trimEnd();
    if (!line.trim() || line.trim() === '[]' || /^(---|\.\.\.)$/.test(line)) continue;
    // A scalar plain, "double-" or 'single-quoted': yaml.v2 single-quotes what cannot be plain, an
    // IPv6 member's '[fd00::11]:19001' (a leading '[' is a flow indicator), '' standing for a quote.
    const m = /^(- )?\s*(ID|Address|Role):\s*(?:"([^"\\]*)"|'((?:[^']|'')*)'|([^'"\s]*))$/.exec(line);
    if (!m) throw new DqliteError(`${file} is not a dqlite node store (line '${line.trim().slice(0, 60)}')`);
    if (m[1] || !current) {
      flush();
      current = {};
    }
    current[m[2] as 'ID' | 'Address' | 'Role'] = m[3] ?? m[4]?.replaceAll("''", "'") ?? m[5]!;
  }
  flush();
  return members;
}

/**
 * What the CLI printed for `.cluster`: `<id hex>|<address>|<role>` lines in every go-dqlite
 * version (internal/shell/shell.go processCluster, `%x|%s|%s`), or with `-f json` an indented
 * list of {"ID": <uint64>, "Address": ..., "Role": 0|1|2}. The ID is read as digits, never as a
 * JavaScript number (a uint64 does not fit one).
 */
export function parseClusterAnswer(out: string): Member[] {
  const text = out.trim();
  if (text.startsWith('[')) {
    const members: Member[] = [];
    for (const m of text.matchAll(/\{[^}]*\}/g)) {
      const id = /"ID"\s*:\s*(\d+)/.exec(m[0])?.[1];
      const address = /"Address"\s*:\s*"([^"]*)"/.exec(m[0])?.[1];
      const role = ROLES[Number(/"Role"\s*:\s*(\d+)/.exec(m[0])?.[1])];
      if (!id || !address || !hostPort(address) || !role)
        throw new DqliteError(`the dqlite CLI printed '${m[0].replace(/\s+/g, ' ').slice(0, 60)}', which is not a member`);
      members.push({ id, address, role });
    }
    return members;
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^([0-9a-f]{1,16})\|(\S+)\|(voter|stand-by|spare)$/.exec(line);
      if (!m || !hostPort(m[2]!)) throw new DqliteError(`the dqlite CLI printed '${line.slice(0, 60)}', which is not a member`);
      return { id: BigInt(`0x${m[1]}`).toString(), address: m[2]!, role: m[3] as DqliteRole };
    });
}

/**
 * Members counted once: by address (a row repeated in cluster.yaml is one node, not two
 * voters), then by ID. The first row of a repeated address keeps its role.
 */
export function distinctMembers(members: Member[]): Member[] {
  const seen = new Set<string>();
  return members.filter((m) => {
    const keys = [`a:${m.address}`, `i:${m.id}`];
    if (keys.some((k) => seen.has(k))) return false;
    for (const k of keys) seen.add(k);
    return true;
  });
}

/**
 * go-dqlite's seed of a node that is to join (app/app.go New): cluster.yaml holds the addresses it
 * was given as NodeInfo{Address}, ID 0, until the leader adds it. A place to find the cluster
 * through, never a member: dqlite gives no node ID 0.
 */
export const isJoinSeed = (m: Member): boolean => m.id === '0';

/**
 * This node's (info.yaml) row in a member list: by its ID, else by its address. dqlite knows a node
 * by its ID, given once for good; an address is a string kept as it was given, which another place
 * may write otherwise (an IPv6 address in full, or compressed).
 */
export const thisNodeIn = (members: Member[], self: Member): Member | undefined =>
  members.find((m) => m.id === self.id) ?? members.find((m) => m.address === self.address);

/** A loopback member is the node it is read on: a single node's own address (127.0.0.1:19001). */
export function isLoopback(address: string): boolean {
  const host = hostPort(address)?.host ?? '';
  return /^127\./.test(host) || host === '::1' || host === 'localhost';
}
