import { ReasonedError } from '../../errors.ts';

// Apart from the connection, which loads ssh2: a check that only reads an SSH failure (how a
// remote command exited) must not load ssh2 at start-up.
export class SshError extends ReasonedError {
  override readonly name = 'SshError';
  /** The status a remote command exited with, where it exited (not killed by a signal). */
  exitCode?: number;
}
