import type { Logger as PinoLogger } from 'pino';

/** What the checks log through: pino's level methods. */
export type Logger = Pick<PinoLogger, 'error' | 'warn' | 'info' | 'debug' | 'trace'>;

const ignore = (): void => {};
/** The default (no -v): nothing is logged, so pino is not even loaded. */
export const silentLogger: Logger = { error: ignore, warn: ignore, info: ignore, debug: ignore, trace: ignore };

/** The longest text of one error in a log line: a library's message may hold a whole response body. */
const MAX_ERROR_TEXT = 2000;
/** How far down a cause chain (or into an AggregateError's errors) the logs follow. */
const MAX_CAUSES = 8;

const clip = (text: string) =>
  text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}... (${text.length - MAX_ERROR_TEXT} more characters)` : text;

/** One error in a line: its kind and what it says ("KubeError: API server ... unreachable"). */
function oneLine(err: unknown): string {
  if (err instanceof Error) return clip(`${err.name}: ${err.message}`);
  // A thrown object that is no Error: its fields are not shown (they may hold a credential).
  return err !== null && typeof err === 'object' ? 'a thrown object (not an Error)' : clip(String(err));
}

/**
 * An error as the logs show it: its kind, what failed, how to fix it, and why (each cause's kind
 * and message, outermost first). Never its stack: "no stack trace, ever" (README), and minified
 * chunk positions help nobody reading a log at 3 a.m. Never its other fields either: a library's
 * error may carry a request's headers or a response body, where a credential can hide.
 */
export function errorRecord(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: err === null ? 'null' : typeof err, message: oneLine(err) };
  const record: Record<string, unknown> = { type: err.name, message: clip(err.message) };
  const { fix, code, status } = err as Error & { fix?: unknown; code?: unknown; status?: unknown };
  if (typeof fix === 'string') record.fix = fix;
  if (typeof code === 'string' || typeof code === 'number') record.code = code;
  if (typeof status === 'number') record.status = status;
  if (err instanceof AggregateError) record.errors = [...err.errors].slice(0, MAX_CAUSES).map(oneLine);
  const causes: string[] = [];
  const seen = new Set<unknown>([err]);
  for (let cause = err.cause; cause !== undefined && !seen.has(cause) && causes.length < MAX_CAUSES; ) {
    seen.add(cause);
    causes.push(oneLine(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (causes.length) record.causes = causes;
  return record;
}

/** A log line's fields, each error among them as errorRecord shows it. */
function withErrorRecords(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error || (key === 'err' && value !== undefined)) out = { ...out, [key]: errorRecord(value) };
  }
  return out;
}

/**
 * Diagnostics for humans debugging a check: structured, on stderr only, so stdout stays plugin
 * output alone. Silent unless -v is given; `fields` go on every line. Credentials are redacted
 * at every level; errors are shown by errorRecord, whatever their field's name.
 */
export async function createLogger(verbosity: number, fields?: Record<string, string>): Promise<Logger> {
  if (verbosity <= 0) return silentLogger;
  // A CommonJS module imported on demand arrives as its default export.
  const pino = (await import('pino')).default;
  // Typed before returning: inferred from the async return type, pino's custom levels widen to any
  // string, and a level named 'then' would make the logger look thenable (TS1058).
  // Logs that cannot be written (stderr on a full disk, a reader gone) are dropped: unheard, the
  // write error was thrown again from the handler of the first, and a check that had printed its
  // verdict ended 'runtime died (exit 7)' under it.
  const destination = pino.destination({ fd: 2, sync: true });
  destination.on('error', () => undefined);
  const logger: Logger = pino(
    {
      level: verbosity === 1 ? 'info' : verbosity === 2 ? 'debug' : 'trace',
      // No pid or hostname; `fields` on every line (in `microk8s-checks all`, the check's name).
      base: fields,
      formatters: { log: withErrorRecords },
      // pino's own serializer of `err` would put the stack back.
      serializers: { err: (record: unknown) => record },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'key', '*.key', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    destination,
  );
  return logger;
}
