import { spawnTracked } from '../children.ts';
import { ReasonedError } from '../errors.ts';

/** Runs a fixed argv (locally, or on a remote host over SSH) and returns its stdout. */
export type CommandRunner = (argv: string[], signal: AbortSignal) => Promise<string>;

export class CommandError extends ReasonedError {}

const MAX_OUTPUT = 32 * 1024 * 1024;

/** The local runner: argv straight to execve, never a shell. */
export const localRunner: CommandRunner = (argv, signal) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    const child = spawnTracked(file!, args, { signal, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
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
          new CommandError(
            `${argv.join(' ')} failed (exit ${code ?? 'signal'})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
          ),
        );
    });
  });
