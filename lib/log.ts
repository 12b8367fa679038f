import { pino, type Logger } from 'pino';

/**
 * Diagnostics for humans debugging a check: structured, on stderr only, so stdout stays plugin
 * output alone. Silent unless -v is given. Credentials are redacted at every level.
 */
export function createLogger(verbosity: number): Logger {
  const level = verbosity <= 0 ? 'silent' : verbosity === 1 ? 'info' : verbosity === 2 ? 'debug' : 'trace';
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'key', '*.key', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
