import type { Logger as PinoLogger } from 'pino';

/** What the checks log through: pino's level methods. */
export type Logger = Pick<PinoLogger, 'error' | 'warn' | 'info' | 'debug' | 'trace'>;

const ignore = (): void => {};
/** The default (no -v): nothing is logged, so pino is not even loaded. */
export const silentLogger: Logger = { error: ignore, warn: ignore, info: ignore, debug: ignore, trace: ignore };

/**
 * Diagnostics for humans debugging a check: structured, on stderr only, so stdout stays plugin
 * output alone. Silent unless -v is given. Credentials are redacted at every level.
 */
export async function createLogger(verbosity: number): Promise<Logger> {
  if (verbosity <= 0) return silentLogger;
  // A CommonJS module imported on demand arrives as its default export.
  const pino = (await import('pino')).default;
  // Typed before returning: inferred from the async return type, pino's custom levels widen to any
  // string, and a level named 'then' would make the logger look thenable (TS1058).
  const logger: Logger = pino(
    {
      level: verbosity === 1 ? 'info' : verbosity === 2 ? 'debug' : 'trace',
      base: undefined,
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'key', '*.key', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  return logger;
}
