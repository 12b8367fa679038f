import { connect as tcpConnect } from 'node:net';
import { FileError, readSmallFile } from '../files.ts';
import { localRunner, sudoRunner, type CommandRunner } from './command.ts';
import { backendFiles, type CliFiles, type DqliteCli, DqliteError, localCliFiles, remoteCliFiles } from './dqlite.ts';

export { backendFiles };

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
export function parseNodeYaml(text: string, file: string): Member[] {
  const members: Member[] = [];
  let current: Partial<Record<'ID' | 'Address' | 'Role', string>> | undefined;
  const flush = () => {
    if (!current) return;
    const role = ROLES[Number(current.Role)];
    if (!current.Address || current.ID === undefined || !/^\d+$/.test(current.ID) || role === undefined)
      throw new DqliteError(`${file} holds an entry without a usable ID, Address and Role`);
    if (!hostPort(current.Address)) throw new DqliteError(`${file} names '${current.Address.slice(0, 60)}', which is no host:port address`);
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

/** A loopback member is the node it is read on: a single node's own address (127.0.0.1:19001). */
export function isLoopback(address: string): boolean {
  const host = hostPort(address)?.host ?? '';
  return /^127\./.test(host) || host === '::1' || host === 'localhost';
}

/** What the CLI said to one command. */
export type CliAnswer =
  | { kind: 'answer'; out: string }
  /** The CLI's own word that no leader is there (go-dqlite v2/v3: exit 1). */
  | { kind: 'no-leader'; text: string }
  /** It did not answer within the time it was given (v1 blocks for good without a leader). */
  | { kind: 'no-answer'; seconds: number }
  | { kind: 'failed'; error: unknown };

// go-dqlite's protocol.ErrNoAvailableLeader ("no available dqlite leader server found"), which
// cmd/dqlite prints through cobra as "Error: no available dqlite leader server found" and exits 1.
const NO_LEADER = /no available dqlite leader server found/i;

/** One CLI command within budgetMs (inside the run's signal); every outcome is an answer. */
export async function askCli(run: CommandRunner, argv: string[], budgetMs: number, signal: AbortSignal): Promise<CliAnswer> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, budgetMs))]);
  try {
    return { kind: 'answer', out: await run(argv, bounded) };
  } catch (error) {
    if (signal.aborted) throw error;
    if (bounded.aborted) return { kind: 'no-answer', seconds: Math.round(budgetMs / 100) / 10 };
    const text = error instanceof Error ? error.message : String(error);
    if (NO_LEADER.test(text)) return { kind: 'no-leader', text: 'no available dqlite leader server found' };
    return { kind: 'failed', error };
  }
}

/**
 * What check_dqlite needs of a node: its backend files, its dqlite CLI and its network view.
 * Locally, or on another node over SSH (then the probes start there: that node's view).
 */
export interface NodeAccess {
  readNodeStore(file: string): Promise<Member[]>;
  cliFiles(cli: DqliteCli): Promise<CliFiles>;
  run: CommandRunner;
  /** The runner for the CLI under sudo (--sudo): root's process is stopped through sudo. */
  runSudo: CommandRunner;
  probe(address: string, timeoutMs: number, signal: AbortSignal): Promise<{ ok: boolean; why?: string }>;
}

/** This node. */
export const localNode: NodeAccess = {
  async readNodeStore(file) {
    try {
      return parseNodeYaml(readSmallFile(file, 'dqlite node store').toString('utf8'), file);
    } catch (err) {
      if (err instanceof FileError && !err.missing && /permission denied/.test(err.message)) throw backendAccess(err.message);
      throw err;
    }
  },
  async cliFiles(cli) {
    return localCliFiles(cli);
  },
  run: localRunner,
  runSudo: sudoRunner(),
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
      (err) => {
        if (signal.aborted) throw err;
        return false;
      },
    );
  return {
    async readNodeStore(file) {
      if (!(await succeeds(['test', '-r', file]))) {
        if (!(await succeeds(['test', '-e', file])))
          throw new DqliteError(`cannot read dqlite node store ${file} there: no such file`, { fix: 'check --backend-dir' });
        throw backendAccess(`cannot read ${file} there: permission denied`);
      }
      return parseNodeYaml(await run(['cat', '--', file], signal), file);
    },
    cliFiles: (cli) => remoteCliFiles(cli, run, signal),
    run,
    runSudo: run,
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

/**
 * The node store files are all the check reads of the backend: cluster.yaml and info.yaml name
 * addresses, no secret. cluster.key stays root's (whoever reads it can write the datastore).
 */
export function backendAccess(message: string): DqliteError {
  return new DqliteError(message, {
    fix: 'let the check user read cluster.yaml and info.yaml only: sudo setfacl -m u:nagios:x <backend> and -m u:nagios:r on those two (again after a snap refresh); never cluster.key (for the leader use --sudo)',
  });
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
