import { spawnTracked } from '../children.ts';
import { ReasonedError } from '../errors.ts';

/** Runs a fixed argv (locally, or on a remote host over SSH) and returns its stdout. */
export type CommandRunner = (argv: string[], signal: AbortSignal) => Promise<string>;

export class CommandError extends ReasonedError {
  override readonly name = 'CommandError';
  /** The status the command exited with, where it exited (not killed by a signal). */
  exitCode?: number;
}

const MAX_OUTPUT = 32 * 1024 * 1024;

/** The local runner: argv straight to execve, never a shell. */
export const localRunner: CommandRunner = (argv, signal) => runLocal(argv, signal);

/**
 * The local runner for a command started through sudo: the command runs as root, so this
 * process cannot kill it, only ask sudo to (sudo relays SIGTERM from outside its own process
 * group). On abort sudo gets SIGTERM first, and its group SIGKILL only after graceMs; the run
 * fails when it has closed, so no root process outlives the answer.
 */
export const sudoRunner =
  (graceMs = 300): CommandRunner =>
  (argv, signal) =>
    runLocal(argv, signal, graceMs);

function runLocal(argv: string[], signal: AbortSignal, graceMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    const env = { ...process.env, LC_ALL: 'C.UTF-8' };
    const child = spawnTracked(file!, args, graceMs === undefined ? { signal, env } : { env });
    if (graceMs !== undefined) {
      // sudo may still be starting the command when asked (under load it takes a while), and
      // drops a signal that comes too early: ask again until it is gone or the grace is over.
      const stop = () => {
        const pid = child.pid;
        child.kill('SIGTERM');
        const again = setInterval(() => child.kill('SIGTERM'), 50);
        const timer = setTimeout(() => {
          clearInterval(again);
          try {
            if (pid !== undefined) process.kill(-pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }, graceMs);
        child.once('close', () => {
          clearInterval(again);
          clearTimeout(timer);
        });
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      child.once('close', () => signal.removeEventListener('abort', stop));
    }
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_OUTPUT) out.push(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') reject(signal.reason ?? err);
      else reject(new CommandError(`cannot run ${file}`, { cause: err, fix: err.code === 'ENOENT' ? `install ${file}` : undefined }));
    });
    child.on('close', (code) => {
      if (code === 0 && size <= MAX_OUTPUT) resolve(Buffer.concat(out).toString('utf8'));
      else if (size > MAX_OUTPUT) reject(new CommandError(`${file} printed more than ${MAX_OUTPUT} bytes`));
      else
        reject(
          Object.assign(
            new CommandError(
              `${argv.join(' ')} failed (exit ${code ?? 'signal'})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
            ),
            { exitCode: code ?? undefined },
          ),
        );
    });
  });
}
