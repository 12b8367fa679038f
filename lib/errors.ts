/**
 * Errors that carry what a user needs to act: what failed (message), why (cause) and how to
 * fix it (fix). Sources throw these; the plugin runner is the one place that turns them into
 * UNKNOWN, so neither side needs to know about the other.
 */
/** The fix when a check's own files cannot be loaded: said by the launcher's stub (build.mjs) and by `all`. */
export const REINSTALL_FIX = 'reinstall microk8s-checks: its files are incomplete or of two versions';

export class ReasonedError extends Error {
  // Each subclass names itself as written: the build minifies class names, and -v logs show this one.
  override readonly name: string = 'ReasonedError';
  readonly fix: string | undefined;

  constructor(message: string, options: { cause?: unknown; fix?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fix = options.fix;
  }
}

/** A bad option or argument: the user must change the command line. */
export class UsageError extends ReasonedError {
  override readonly name = 'UsageError';
}

/** The run's deadline passed. */
export class TimeoutError extends ReasonedError {
  override readonly name = 'TimeoutError';
}

const NODE_CA_HINT = /; if the root CA is installed locally, try running Node\.js with\s+--use-system-ca$/;

/** The innermost useful words of an error chain, for a one-line reason. */
export function causeText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return causeText(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    // Node's advice on an unverifiable chain names a flag of its own command line, which a check's
    // user cannot give (the launcher runs Node), and its ';' Nagios would show as ':'.
    return (err.message || code || err.name).replace(NODE_CA_HINT, '');
  }
  return String(err);
}

/**
 * The one place that turns any failure into a one-line UNKNOWN reason: what failed, its
 * cause, and the fix where one is known. With -v the logs show the whole cause chain (lib/logger.ts),
 * never a stack.
 */
export function reasonOf(err: unknown): string {
  if (err instanceof ReasonedError) {
    let text = err.message;
    if (err.cause !== undefined) {
      const cause = causeText(err.cause);
      if (cause && !text.includes(cause)) text += `: ${cause}`;
    }
    // No ';' here: Nagios turns it into ':' in what it shows.
    if (err.fix) text += ` (fix: ${err.fix})`;
    return text;
  }
  return `internal error: ${causeText(err)} (rerun with -vvv and report it)`;
}

/**
 * The host dropped the connection under a command (ssh/connection.ts' ConnectionLost): said as such,
 * never with the command's own fix. Told by its name: connection.ts loads ssh2, which start-up must not.
 */
export const isConnectionLost = (err: unknown): boolean => (err as Error | undefined)?.name === 'ConnectionLost';
