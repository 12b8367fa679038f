import { statSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { lookup } from '../../dns.ts';
import { ReasonedError } from '../../errors.ts';
import { readSmallFile } from '../../files.ts';
import type { CommandRunner } from '../command.ts';
import { fingerprint, HostKeyError, knownKeys } from './knownhosts.ts';

export class SshError extends ReasonedError {
  override readonly name: string = 'SshError';
}

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Private key file; without it the agent at $SSH_AUTH_SOCK. */
  key?: string;
  knownHosts: string;
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]+)$/;

export function validateHost(host: string): string {
  if (!HOST.test(host) || host.length > 253) throw new SshError(`invalid host '${host}'`, { fix: 'give a host name or IP address' });
  return host;
}

export function defaultSshTarget(host: string, o: { user?: string; key?: string; port?: number; knownHosts?: string }): SshTarget {
  return {
    // As ssh does: a host name is case-blind (DNS), and known_hosts' hashed entries are of the
    // lower-case name; one host named twice is one connection in a run.
    host: validateHost(host).toLowerCase(),
    port: o.port ?? 22,
    user: o.user ?? userInfo().username,
    key: o.key,
    knownHosts: o.knownHosts ?? join(homedir(), '.ssh', 'known_hosts'),
  };
}

const AGENT_FIX = 'give --ssh-key, or start ssh-agent and export its SSH_AUTH_SOCK';

/**
 * The agent named by SSH_AUTH_SOCK, if it is there: ssh2 reports a dead agent socket as an
 * 'error' event nobody can listen to, after the connection is made.
 */
function agentSocket(path: string): string {
  let socket = false;
  try {
    socket = statSync(path).isSocket();
  } catch {
    // Said below.
  }
  if (!socket) throw new SshError(`no SSH agent at SSH_AUTH_SOCK=${path}`, { fix: AGENT_FIX });
  return path;
}

/**
 * One argument quoted for the login's shell there, which sshd runs the command with (`-c`): one
 * literal argument to a POSIX shell, and to fish and (t)csh too, or (csh, an argument with a line
 * break) nothing run. Inside single quotes fish reads `\\` and `\'`, csh `!` (history), `\!` and a
 * backslash before a line break: each of those is written outside the quotes, escaped (`\\`,
 * `\!`), which every one of them reads as the character itself. A `'` is `'\''` as ever. The
 * commands the checks send hold none of them but a `!` before a blank (csh leaves it), so their
 * text is unchanged (docs/ssh.md): a journal's host name or a path with a backslash in it was read
 * another way there, or ran as a command of its own (fish: `x\';id>f;\'`).
 */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'|\\(?=[\\'!\n]|$)|!(?![ \t])/g, (c) => (c === "'" ? `'\\''` : `'\\${c}'`))}'`;
}

/**
 * The host key algorithms a key of a known_hosts type signs with: an RSA key (`ssh-rsa`) as
 * rsa-sha2-512 or -256 too, the only ones OpenSSH 8.8 and later offers for it by default. Asked
 * for ssh-rsa alone, such a host had none to offer, and its own key read as CHANGED.
 */
const signedAs = (type: string): string[] => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);

export function remoteCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * A command that surely never started: the host refused its channel (sshd's MaxSessions), or the
 * connection was lost before it was asked for. Any other failure to start one (an exec request
 * refused, the connection lost meanwhile) may have followed its start: an SshError, never run again.
 */
export class ChannelRefused extends ReasonedError {
  override readonly name = 'ChannelRefused';

  /** The host said no (a reason code), where a lost connection says nothing. */
  get byHost(): boolean {
    return typeof (this.cause as { reason?: unknown } | undefined)?.reason === 'number';
  }
}

/**
 * The command's channel closed with no exit status or signal said for it: the connection went
 * (the host down, its sshd's session process killed), and nothing can be said of the command.
 */
export class ConnectionLost extends SshError {
  override readonly name = 'ConnectionLost';
}

/** What a check reads a host through: its own connection, or its share of the run's (share.ts). */
export interface SshSession {
  readonly target: SshTarget;
  /** Run a fixed argv remotely, every argument quoted; streams stdout into sink. */
  exec(argv: string[], signal: AbortSignal, sink: Writable): Promise<{ code: number | null; stderr: string }>;
  /** A CommandRunner over this session, for sources that take one (routes). */
  runner(): CommandRunner;
  /** Let go: what still runs there for this session is ended on the host. */
  close(): void;
}

/** A CommandRunner over a session: stdout whole, a non-zero exit an SshError naming the command. */
export function runnerOver(session: Pick<SshSession, 'exec' | 'target'>): CommandRunner {
  return async (argv, signal) => {
    const out: Buffer[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        out.push(chunk);
        done();
      },
    });
    const { code, stderr } = await session.exec(argv, signal, sink);
    // A script (sh -c, bash -c) is named, not spelled out: the reason stays one readable line.
    const command = argv.map((a) => (a.includes('\n') ? '<script>' : a)).join(' ');
    // The command's own last word: a login may say something on stderr before every command (bash's
    // setlocale warning, where the locale named is not installed), which hid why it failed.
    const lines = stderr.trim().split('\n');
    const said = lines.at(-1) ?? '';
    // (t)csh, the login's shell, reads no line break inside quotes: it parsed none of the script.
    const unmatched = lines.find((l) => /^Unmatched '+\.$/.test(l));
    if (code !== 0 && command !== argv.join(' ') && unmatched) {
      const { host, user } = session.target;
      throw new SshError(
        `${command} failed on ${host}: the login's shell there is csh or tcsh, which takes no line break in an argument (${unmatched})`,
        { fix: `give ${user} a POSIX login shell there: sudo chsh -s /bin/sh ${user}` },
      );
    }
    if (code !== 0) throw new SshError(`${command} failed on ${session.target.host} (exit ${code ?? 'signal'})${said ? `: ${said}` : ''}`);
    return Buffer.concat(out).toString('utf8');
  };
}

/** An open connection whose host key matched known_hosts. */
export class SshConnection implements SshSession {
  /** The commands running there now: each is ended on the host when the connection is let go. */
  private readonly running = new Set<ClientChannel>();

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
  ) {}

  static async open(t: SshTarget, signal: AbortSignal, timeoutMs: number): Promise<SshConnection> {
    const { keys, revoked } = knownKeys(t.knownHosts, t.host, t.port);
    const addFix = `check the host, then: ssh-keyscan -p ${t.port} ${t.host} >> ${t.knownHosts}`;
    if (keys.length === 0)
      throw new HostKeyError(`host key of ${t.host}:${t.port} is unknown (no entry in ${t.knownHosts})`, { fix: addFix });
    let offered: Buffer | undefined;
    const config: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.user,
      readyTimeout: Math.max(1, timeoutMs),
      keepaliveInterval: 0,
      // Offer only the key types known_hosts holds, as OpenSSH does, so a host with several keys
      // is not taken for a changed one.
      algorithms: { serverHostKey: [...new Set(keys.flatMap((k) => signedAs(k.type)))] as never },
      hostVerifier: (key: Buffer) => {
        offered = key;
        return !revoked.some((r) => r.blob.equals(key)) && keys.some((k) => k.blob.equals(key));
      },
    };
    if (t.key) {
      config.privateKey = readSmallFile(t.key, 'SSH key', 64 * 1024);
    } else if (process.env.SSH_AUTH_SOCK) config.agent = agentSocket(process.env.SSH_AUTH_SOCK);
    else throw new SshError('no SSH key and no SSH agent (SSH_AUTH_SOCK is not set)', { fix: AGENT_FIX });

    const client = new Client();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        client.end();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => {
        signal.removeEventListener('abort', onAbort);
        resolve(new SshConnection(client, t));
      });
      // Every report heard, for the connection's whole life: ssh2 reports a connection reset
      // before the banner twice (the reset, then "Connection lost before handshake" as the socket
      // closes), and the second, heard by nobody, crashed a run still going on (`all`: every row).
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        signal.removeEventListener('abort', onAbort);
        client.end();
        const at = `${t.host}:${t.port}`;
        if (offered && !keys.some((k) => k.blob.equals(offered!))) {
          reject(
            new HostKeyError(
              `host key of ${at} does not match ${t.knownHosts} (offered ${fingerprint(offered)}): it ` +
                `CHANGED, or this is not the host you meant`,
              { fix: 'verify the key out of band before updating known_hosts' },
            ),
          );
        } else if (!offered && /no matching host key/i.test(err.message)) {
          // Only the types known_hosts holds are asked for (above): a host that has none of them
          // answered, with another key.
          const types = [...new Set(keys.map((k) => k.type))];
          reject(
            new HostKeyError(
              `host key of ${at} does not match ${t.knownHosts}: it offers no ${types.join(' or ')} key, the ` +
                `type${types.length > 1 ? 's' : ''} held for it there: it CHANGED, or this is not the host you meant`,
              { fix: 'verify the key out of band before updating known_hosts' },
            ),
          );
        } else if (err.level === 'client-authentication') {
          reject(
            new SshError(`SSH authentication as ${t.user} to ${at} failed`, {
              cause: err,
              fix: `add the check's public key to ~${t.user}/.ssh/authorized_keys on ${t.host}`,
            }),
          );
        } else if (err.level === 'client-timeout') {
          reject(new SshError(`SSH to ${at} timed out during connect`, { cause: err }));
        } else {
          reject(new SshError(`cannot connect to ${at} over SSH`, { cause: err, fix: 'check the host, --ssh-port and that sshd runs' }));
        }
      });
      // The TCP connection made here, with a lookup the run can stop (lib/dns.ts): ssh2's own
      // is Node's, which a DNS server that never answers holds past -t. Without Nagle's delay:
      // the checks' small requests, many channels of one connection in `all`, each waited for the
      // host's delayed ACK (all --host 0.25 s slower a poll with one connection than with five).
      const sock = tcpConnect({ host: t.host, port: t.port, lookup, noDelay: true });
      // Only while connecting: once open, the connection is let go by close(), which first ends
      // what runs there, and that needs the socket.
      const drop = () => sock.destroy();
      signal.addEventListener('abort', drop, { once: true });
      client.once('ready', () => signal.removeEventListener('abort', drop));
      try {
        client.connect({ ...config, sock });
      } catch (err) {
        sock.destroy();
        // ssh2 parses the key here, and throws on one it cannot read.
        signal.removeEventListener('abort', onAbort);
        reject(
          new SshError(`cannot use SSH key ${t.key ?? '(agent)'}`, {
            cause: err,
            fix:
              'give --ssh-key a private key without a passphrase, as ssh-keygen writes it: a PKCS#8 "BEGIN PRIVATE KEY" ' +
              'file is not read, ssh-keygen -p -N "" -f COPY rewrites a copy of it',
          }),
        );
      }
    });
  }

  /**
   * A channel the host refuses is asked for again, a little later each time, until the deadline:
   * OpenSSH counts a session until it has finished closing it, so with MaxSessions 1 (hardened
   * hosts) the command after another was refused as often as not, and a check's own commands run
   * side by side (the clock beside the listing) went past it every time.
   */
  async exec(argv: string[], signal: AbortSignal, sink: Writable): Promise<{ code: number | null; stderr: string }> {
    for (let pauseMs = 25; ; pauseMs = Math.min(pauseMs * 2, 500)) {
      try {
        return await this.execFor(this.running, argv, signal, sink);
      } catch (err) {
        if (!(err instanceof ChannelRefused && err.byHost)) throw err;
        await sleep(pauseMs, undefined, { signal }).catch(() => {
          throw signal.reason;
        });
      }
    }
  }

  /**
   * exec() for one of the connection's users (a session of share.ts), its command among `running`,
   * theirs to end (end()). A command that never started is ChannelRefused.
   * `closed` is called once the host no longer counts the channel (OpenSSH's MaxSessions counts one
   * until it has closed it), or at once when none was opened: a command ended at its deadline is
   * answered then, its channel still closing.
   */
  execFor(
    running: Set<ClientChannel>,
    argv: string[],
    signal: AbortSignal,
    sink: Writable,
    closed: () => void = () => undefined,
  ): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      // Nothing asked for once its time is up (a session let go: share.ts).
      if (signal.aborted) {
        closed();
        return reject(signal.reason);
      }
      const failed = (err: unknown, neverStarted: boolean) => {
        closed();
        const reason = `cannot run ${argv[0]} on ${this.target.host}`;
        reject(neverStarted ? new ChannelRefused(reason, { cause: err }) : new SshError(reason, { cause: err }));
      };
      // ssh2 throws on a connection already lost ("Not connected"), and calls back on a refusal.
      try {
        this.client.exec(remoteCommand(argv), (err: Error | undefined, stream: ClientChannel) => {
          // ssh2 gives a channel the host refused its reason code.
          if (err) return failed(err, typeof (err as { reason?: unknown }).reason === 'number');
          stream.once('close', closed);
          // Its time ran out while the host opened the channel: the abort was heard by nobody, and
          // the command, started now, ran to its end (a hung journalctl, for as long as the shared
          // connection lasted, holding one of its channels).
          if (signal.aborted) {
            // Read to its end: ssh2 says an unread channel is closed only once it is.
            stream.resume();
            stream.stderr.resume();
            this.stop(running, stream);
            return reject(signal.reason);
          }
          let stderr = '';
          let code: number | null = null;
          running.add(stream);
          const onAbort = () => {
            this.stop(running, stream);
            reject(signal.reason);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          stream.pipe(sink, { end: false });
          stream.stderr.on('data', (d: Buffer) => {
            if (stderr.length < 8192) stderr += d.toString('utf8');
          });
          // Said by sshd as the command ends: its exit status, or the signal that ended it (code null).
          let ended = false;
          stream.on('exit', (c: number | null) => {
            ended = true;
            code = c;
          });
          // stderr is a stream of its own, which can end after the channel's close: taken before
          // it ended, a refused connect's "Connection refused" was missing from the reason (seen
          // under load: a voter refusing TCP read as "cannot connect").
          const stderrDone = new Promise<void>((done) => {
            if (stream.stderr.readableEnded) done();
            else stream.stderr.once('end', done).once('close', done);
          });
          stream.on('close', () => {
            running.delete(stream);
            void stderrDone.then(() => {
              signal.removeEventListener('abort', onAbort);
              if (ended) return resolve({ code, stderr });
              // Not 'exit signal': a fix for the command (the clock's: coreutils) named another fault.
              const host = this.target.host;
              reject(
                new ConnectionLost(`the connection to ${host} closed before ${argv[0]} ended`, {
                  fix: `check ${host} and its sshd (its log says why it ended the session)`,
                }),
              );
            });
          });
        });
      } catch (err) {
        failed(err, true);
      }
    });
  }

  runner(): CommandRunner {
    return runnerOver(this);
  }

  /**
   * A command let go is killed there, not only its channel closed: without a terminal sshd sends
   * it no hangup, and one that is stuck (journalctl on a slow disk) never writes again to meet the
   * closed pipe, so every poll would leave one more running on a node in trouble. OpenSSH's sshd
   * kills the command's process group on a signal request (seen with 9.2); it refuses one for a
   * root login and for a forced command (authorized_keys' command=), which then run on as before.
   */
  private stop(running: Set<ClientChannel>, stream: ClientChannel): void {
    running.delete(stream);
    try {
      stream.signal('KILL');
    } catch {
      // The channel is already gone: so is what it ran.
    }
    stream.close();
  }

  /** Ends on the host what a user of the connection still runs there; the connection stays. */
  end(running: Set<ClientChannel>): void {
    for (const stream of running) this.stop(running, stream);
  }

  close(): void {
    this.end(this.running);
    this.client.end();
  }
}
