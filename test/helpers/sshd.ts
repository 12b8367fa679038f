import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

export function sshdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the test sshd logs in as root';
  if (!existsSync(SSHD)) return 'no /usr/sbin/sshd (apt-get install openssh-server)';
  return undefined;
}

const keygen = (file: string, type = 'ed25519') =>
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'microk8s-checks-test', '-f', file]);

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real OpenSSH sshd on 127.0.0.1 and 127.0.0.2 with keys made for this run. */
export class TestSshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'mk8s-sshd-'));
  readonly clientKey = join(this.dir, 'client_ed25519');
  readonly strangerKey = join(this.dir, 'stranger_ed25519');
  readonly hostKey = join(this.dir, 'host_ed25519');
  private readonly home = join(this.dir, 'home');
  port = 0;
  private proc?: ChildProcess;

  /**
   * listen: addresses to bind; netns: run inside this network namespace (a test node);
   * forceCommand: sshd's ForceCommand (a login that prints a greeting before the command);
   * path: the PATH a command is run with there, as on a host that lacks some tools (not with forceCommand);
   * maxSessions: sshd's MaxSessions, the channels one connection may have open at once (default 10);
   * logins: sshd logs each connection to a file of its own, counted by connections();
   * hostname: the host's own name as a command run there reads it (uname -n, /proc/sys/kernel/hostname):
   * sshd runs in a UTS namespace of its own (unshare --uts) named so, a host other than this one;
   * hostKeyType: the type of its one host key (ssh-keygen -t; default ed25519).
   */
  constructor(
    private readonly opts: {
      listen?: string[];
      netns?: string;
      forceCommand?: string;
      path?: string;
      maxSessions?: number;
      logins?: boolean;
      hostname?: string;
      hostKeyType?: string;
    } = {},
  ) {}

  private get logFile(): string {
    return join(this.dir, 'sshd.log');
  }

  /** The connections made so far, by the address each was made to (sshd's own log: opts.logins). */
  connections(): string[] {
    if (!existsSync(this.logFile)) return [];
    return [...readFileSync(this.logFile, 'utf8').matchAll(/Connection from \S+ port \d+ on (\S+) port \d+/g)].map((m) => m[1]!);
  }

  async start(): Promise<void> {
    const listen = this.opts.listen ?? ['127.0.0.1', '127.0.0.2'];
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    mkdirSync(this.home);
    keygen(this.hostKey, this.opts.hostKeyType);
    keygen(this.clientKey);
    keygen(this.strangerKey);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${this.clientKey}.pub`), { mode: 0o600 });
    this.port = await freePort();
    const config = join(this.dir, 'sshd_config');
    let forceCommand = this.opts.forceCommand;
    if (this.opts.path !== undefined) {
      // The login shell's rc files (root's .bashrc) would set PATH again: the command runs in sh with this one.
      forceCommand = join(this.dir, 'with-path');
      writeFileSync(forceCommand, `#!/bin/sh\nPATH='${this.opts.path}'; export PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`, {
        mode: 0o755,
      });
    }
    writeFileSync(
      config,
      [
        `Port ${this.port}`,
        ...listen.map((a) => `ListenAddress ${a}`),
        `HostKey ${this.hostKey}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        // The logins' shell would read root's rc files, and this machine's run pyenv, whose shim rehash, run
        // by several logins at once, writes to stderr beside a command's own: a check reads that as a failure.
        `SetEnv HOME=${this.home}`,
        `LogLevel ${this.opts.logins ? 'VERBOSE' : 'ERROR'}`,
        ...(forceCommand ? [`ForceCommand ${forceCommand}`] : []),
        ...(this.opts.maxSessions !== undefined ? [`MaxSessions ${this.opts.maxSessions}`] : []),
        '',
      ].join('\n'),
    );
    const sshd = [SSHD, '-D', ...(this.opts.logins ? ['-E', this.logFile] : ['-e']), '-f', config];
    // unshare execs sh, which execs sshd: one process, stopped by stop() as sshd alone is.
    const setName = 'printf %s "$0" >/proc/sys/kernel/hostname && exec "$@"';
    const named = ['unshare', '--uts', '/bin/sh', '-c', setName, this.opts.hostname ?? '', ...sshd];
    const argv = this.opts.hostname === undefined ? sshd : named;
    this.proc = this.opts.netns
      ? spawn('ip', ['netns', 'exec', this.opts.netns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    for (let i = 0; i < 100; i++) {
      if (await accepts(this.port, listen[0]!)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('sshd did not start');
  }

  /** known_hosts naming the given hosts with this sshd's key (or another key), optionally hashed. */
  knownHosts(hosts: string[], opts: { key?: string; hashed?: boolean; name?: string; port?: number } = {}): string {
    const pub = readFileSync(`${opts.key ?? this.hostKey}.pub`, 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    const file = join(this.dir, opts.name ?? 'known_hosts');
    writeFileSync(file, hosts.map((h) => `[${h}]:${opts.port ?? this.port} ${pub}\n`).join(''));
    if (opts.hashed) execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    return file;
  }

  /** The options that read `host` through this sshd as a check takes them: --host, its port, key and known_hosts. */
  loginArgs(host = '127.0.0.1'): string[] {
    return ['--host', host, '--ssh-port', String(this.port), '--ssh-key', this.clientKey, '--ssh-known-hosts', this.knownHosts([host])];
  }

  otherHostKey(): string {
    const file = join(this.dir, 'other_host_ed25519');
    if (!existsSync(file)) keygen(file);
    return file;
  }

  stop(): void {
    this.proc?.kill();
  }
}

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A TCP server that accepts and never says anything: a host slower than any deadline. */
export async function silentServer(): Promise<{ port: number; server: Server }> {
  const server = createServer((sock) => sock.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

/**
 * On one port, 127.0.0.1 takes each connection and resets it before any SSH banner (what sshd
 * does to a connection past its MaxStartups, and a firewall or a node going down may do), while
 * 127.0.0.2 takes it and never says anything: a run with both as --host lives on after the reset.
 */
export async function resettingHost(): Promise<{ port: number; close(): void }> {
  const port = await freePort();
  const resetting = createServer((sock) => {
    sock.on('error', () => {});
    setTimeout(() => sock.resetAndDestroy(), 30);
  });
  const held: Socket[] = [];
  const silent = createServer((sock) => {
    sock.on('error', () => {});
    held.push(sock);
  });
  await new Promise<void>((r) => resetting.listen(port, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(port, '127.0.0.2', r));
  return {
    port,
    close: () => {
      for (const s of held) s.destroy();
      resetting.close();
      silent.close();
    },
  };
}
