import { CONNECTION_PATIENCE_MS, patienceWithin } from '../slots.ts';

/**
 * When each request's run ends (ms since the epoch), by its context (set as it is sent,
 * request.ts): a request never waits for a kept connection past half its time left, so that a
 * short -t (`all -t 2`) leaves it time to be answered on a connection of its own.
 */
export const requestEnds = new WeakMap<object, number>();

/** How long a request may wait for a kept connection: the patience, at most half its time left. */
export function patienceFor(ctx: object, patienceMs = CONNECTION_PATIENCE_MS): number {
  const endsAt = requestEnds.get(ctx);
  return endsAt === undefined ? patienceMs : patienceWithin(endsAt - Date.now(), patienceMs);
}
