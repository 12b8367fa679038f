import { reasonOf } from '../errors.ts';
import { eachAtMost } from '../lanes.ts';
import { combine } from './combine.ts';
import type { Deadline } from './deadline.ts';
import { unknownOutcome } from './output.ts';
import type { Outcome } from './verdict.ts';

/** What one target of a fan-out gave: its value, or why it gave none. */
export type TargetResult<T> =
  | { target: string; ok: true; value: T; error?: undefined }
  | { target: string; ok: false; value?: undefined; error: unknown };

/** A result from a value or an error, for sources that gather their own (the local host, a file). */
export const resultOf = <T>(target: string, value: T | undefined, error: unknown): TargetResult<T> =>
  value !== undefined && error === undefined ? { target, ok: true, value } : { target, ok: false, error };

/**
 * The one fan-out (nagiosplugin's resources, go-check's partial results): the same work for each
 * target (an API server, a host, a file), at most `cap` at once, each under its own part() of the
 * deadline. A target that fails or does not answer in its time fails alone, as the error in its
 * result; only the run's own deadline running out fails the whole run. Results keep the targets'
 * order.
 */
export async function fanOut<T>(
  targets: readonly string[],
  deadline: Deadline,
  work: (target: string, deadline: Deadline) => Promise<T>,
  cap = 8,
): Promise<TargetResult<T>[]> {
  const one = async (target: string): Promise<TargetResult<T>> => {
    const part = deadline.awaitedPart();
    part.activity = `waiting for ${target}`;
    // Whatever the work does with the signal, the target's time ends its wait.
    const expired = new Promise<never>((_, reject) => {
      const stop = () => reject(part.signal.reason);
      if (part.signal.aborted) stop();
      else part.signal.addEventListener('abort', stop, { once: true });
    });
    try {
      return { target, ok: true, value: await Promise.race([work(target, part), expired]) };
    } catch (error) {
      if (deadline.signal.aborted) throw error;
      return { target, ok: false, error };
    } finally {
      part.done();
      expired.catch(() => undefined);
    }
  };
  // A target's failure is its result: only the run's deadline rejects, and then nothing more starts.
  return eachAtMost(cap, targets, one);
}

/**
 * Judge each target's value (an error is UNKNOWN, its reason said) and combine them by the one
 * worst-state rule (combine): a CRITICAL target is never hidden by another's timeout. `alone`:
 * a single result is the check's own outcome, unprefixed (the local host, one file).
 */
export function judgeEach<T>(
  check: string,
  results: readonly TargetResult<T>[],
  judge: (value: T, target: string) => Outcome,
  alone = false,
): Outcome {
  const judged = results.map((r) => ({
    host: r.target,
    outcome: r.ok ? judge(r.value, r.target) : unknownOutcome(check, reasonOf(r.error)),
  }));
  if (alone && judged.length === 1) return judged[0]!.outcome;
  return combine(check, judged);
}
