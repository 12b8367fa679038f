import { accessSync, constants, existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { FileError, readSmallFile } from '../files.ts';
import { localRunner, type CommandRunner } from './command.ts';
import { backendFiles, DqliteError } from './dqlite.ts';

export { backendFiles };

/** dqlite's numbering of roles (not raft's): 0 voter, 1 stand-by, 2 spare. */
export type DqliteRole = 'voter' | 'stand-by' | 'spare';
const ROLES: DqliteRole[] = ['voter', 'stand-by', 'spare'];

export interface Member {
  id: string;
  address: string;
  role: DqliteRole;
}

/** The cluster as the dqlite CLI's leader reports it, or as this node's cluster.yaml last saw it. */
export interface ClusterView {
  members: Member[];
  /** The leader's address; '' when the cluster has none; undefined when not asked. */
  leader?: string;
  /** Where the members come from: 'dqlite CLI' or the cluster.yaml path. */
  from: string;
  /** Why the CLI could not answer, when the members come from cluster.yaml. */
  cliProblem?: string;
}

const NO_LEADER = /no available dqlite leader server found|context deadline exceeded/i;

/**
 * go-dqlite's node store files: cluster.yaml is a YAML list of {ID, Address, Role}, info.yaml one
 * such entry (this node). Only those three scalar keys occur; a file that does not parse so is
 * refused rather than half read.
 */
export function parseNodeYaml(text: string, file: string): Member[] {
  const members: Member[] = [];
  let current: Partial<Record<'ID' | 'Address' | 'Role', string>> | undefined;
  const flush = () => {
    if (!current) return;
    const role = ROLES[Number(current.Role)];
    if (!current.Address || current.ID === undefined || role === undefined)
      throw new DqliteError(`${file} holds an entry without a usable ID, Address and Role`);
    members.push({ id: current.ID, address: current.Address, role });
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trimEnd();
    if (!line.trim() || line.trim() === '[]') continue;
    const m = /^(- )?\s*(ID|Address|Role):\s*"?([^"]*)"?\s*$/.exec(line);
    if (!m) throw new DqliteError(`${file} is not a dqlite node store (line '${line.trim().slice(0, 60)}')`);
    if (m[1] || !current) {
      flush();
      current = {};
    }
    current[m[2] as 'ID' | 'Address' | 'Role'] = m[3]!;
  }
  flush();
  return members;
}

/**
 * What check_dqlite needs of a node: its backend files, its dqlite CLI and its network view.
 * Locally, or on another node over SSH (then the probes start there: that node's view).
 */
export interface NodeAccess {
  readNodeStore(file: string): Promise<Member[]>;
  /** The CLI is there and the key it needs is readable; throws naming the key otherwise. */
  cliUsable(bin: string, key: string): Promise<boolean>;
  run: CommandRunner;
  probe(address: string, timeoutMs: number, signal: AbortSignal): Promise<{ ok: boolean; why?: string }>;
}

/** This node. */
export const localNode: NodeAccess = {
  async readNodeStore(file) {
    try {
      return parseNodeYaml(readSmallFile(file, 'dqlite node store').toString('utf8'), file);
    } catch (err) {
      if (err instanceof FileError && /permission denied/.test(err.message)) throw backendAccess(err.message);
      throw err;
    }
  },
  async cliUsable(bin, key) {
    if (!existsSync(bin)) return false;
    try {
      accessSync(key, constants.R_OK);
    } catch {
      throw backendAccess(`cannot read ${key}: permission denied`);
    }
    return true;
  },
  run: localRunner,
  probe,
};

/**
 * Another node, through a runner over SSH: files with cat (node stores are small), the CLI as
 * argv, probes with bash's /dev/tcp under timeout, host and port passed as arguments of the
 * script, never written into it.
 */
export function remoteNode(run: CommandRunner, signal: AbortSignal): NodeAccess {
  const succeeds = (argv: string[]) =>
    run(argv, signal).then(
      () => true,
      () => false,
    );
  return {
    async readNodeStore(file) {
      if (!(await succeeds(['test', '-r', file]))) throw backendAccess(`cannot read ${file} there: permission denied or no such file`);
      return parseNodeYaml(await run(['cat', '--', file], signal), file);
    },
    async cliUsable(bin, key) {
      if (!(await succeeds(['test', '-x', bin]))) return false;
      if (!(await succeeds(['test', '-r', key]))) throw backendAccess(`cannot read ${key} there: permission denied`);
      return true;
    },
    run,
    async probe(address, timeoutMs, probeSignal) {
      const hp = hostPort(address);
      if (!hp) return { ok: false, why: 'not a host:port address' };
      try {
        await run(
          ['timeout', String(Math.max(1, Math.ceil(timeoutMs / 1000))), 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', hp.host, String(hp.port)],
          probeSignal,
        );
        return { ok: true };
      } catch (err) {
        if (probeSignal.aborted) throw err;
        return {
          ok: false,
          why: /refused/i.test(String(err)) ? 'ECONNREFUSED' : /exit 124/.test(String(err)) ? 'no answer' : 'cannot connect',
        };
      }
    },
  };
}

/** The least privilege that lets the check read the backend: read access to four files, no more. */
export function backendAccess(message: string): DqliteError {
  return new DqliteError(message, {
    fix: 'give the check user read access to the backend files only: sudo setfacl -m u:nagios:x <backend> and -m u:nagios:r on cluster.yaml, info.yaml, cluster.crt, cluster.key (again after a snap refresh)',
  });
}

/**
 * Ask the dqlite CLI (k8s database) for `.cluster` and `.leader` in one run: `.cluster` prints
 * "<hex id>|<address>|<role>" per member, `.leader` the leader's address (nothing without one).
 * The CLI finds the leader first for both; "no available dqlite leader server found" (or its 2 s
 * query timeout) means there is none, which is an answer, not a failure of the check.
 */
export async function askCluster(
  run: CommandRunner,
  signal: AbortSignal,
  bin: string,
  backend: string,
): Promise<{ members: Member[]; leader: string } | { noLeader: string }> {
  const f = backendFiles(backend);
  let out: string;
  try {
    out = await run([bin, '-s', `file://${f.clusterYaml}`, '-c', f.crt, '-k', f.key, 'k8s', '.cluster;.leader'], signal);
  } catch (err) {
    if (signal.aborted) throw err;
    const text = err instanceof Error ? err.message : String(err);
    if (NO_LEADER.test(text))
      return {
        noLeader: text
          .replace(/^.*?Error: /s, '')
          .split('\n')[0]!
          .trim(),
      };
    throw new DqliteError('the dqlite CLI did not answer', { cause: err });
  }
  const members: Member[] = [];
  let leader = '';
  for (const line of out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^([0-9a-f]+)\|(\S+)\|(voter|stand-by|spare)$/.exec(line);
    if (m) members.push({ id: BigInt(`0x${m[1]}`).toString(), address: m[2]!, role: m[3] as DqliteRole });
    else if (/^\S+:\d+$/.test(line)) leader = line;
    else throw new DqliteError(`the dqlite CLI printed '${line.slice(0, 60)}', which is neither a member nor an address`);
  }
  if (!members.length) throw new DqliteError('the dqlite CLI listed no member');
  return { members, leader };
}

/** "10.0.0.11:19001" or "[fd00::1]:19001" as host and port; a port outside 1-65535 is no address (net.connect would throw). */
export function hostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  const port = Number(m?.[2]);
  return m && port >= 1 && port <= 65535 ? { host: m[1]!, port } : undefined;
}

/** Whether a TCP connection to the address opens within timeoutMs (the connection is closed at once). */
export function probe(address: string, timeoutMs: number, signal: AbortSignal): Promise<{ ok: boolean; why?: string }> {
  const hp = hostPort(address);
  if (!hp) return Promise.resolve({ ok: false, why: 'not a host:port address' });
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hp.host, port: hp.port, signal });
    const done = (ok: boolean, why?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, why });
    };
    const timer = setTimeout(() => done(false, `no answer within ${Math.round(timeoutMs / 100) / 10}s`), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
  });
}
