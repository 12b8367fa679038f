import { skewDetail, skewNote } from '../clock-skew.ts';
import { judgeEach, resultOf } from '../plugin/fanout.ts';
import { State, worst } from '../plugin/state.ts';
import type { Outcome } from '../plugin/verdict.ts';
import { MAX_LINE_BYTES } from '../sources/lines.ts';
import { plural } from '../text.ts';
import { endedReason, type Beginning, type Ending } from './span.ts';
import type { SourceResult } from './tally.ts';

/**
 * Judge each source's tally (and where it begins inside the window, if it does); with --host,
 * combine the hosts (an unreadable host is UNKNOWN), each host's clock said where it is off ours.
 */
export function judgeSources<T>(
  check: string,
  results: SourceResult<T>[],
  evaluate: (tally: T, source: string, begun?: Beginning, ended?: Ending) => Outcome,
): Outcome {
  const judge = (r: SourceResult<T>): Outcome => {
    let outcome = evaluate(r.tally!, r.source, r.begun, r.ended);
    // A journal given that ends inside the window: a count found stands (the whole window can only
    // hold more), a calm does not (the part after its end was not there to read).
    if (r.ended && outcome.state === State.OK) outcome = { ...outcome, state: State.UNKNOWN, summary: endedReason(r.ended) };
    if (r.cut) {
      const half = MAX_LINE_BYTES / 2048;
      outcome = {
        ...outcome,
        details: [
          `${plural(r.cut, 'line')} longer than ${MAX_LINE_BYTES / 1024} KiB ` +
            `${r.cut === 1 ? 'was' : 'were'} read by ${r.cut === 1 ? 'its' : 'their'} first and last ` +
            `${half} KiB only`,
          ...outcome.details,
        ],
      };
    }
    if (r.badStamps) {
      const said = `${plural(r.badStamps, 'matching line')} with a time stamp that cannot be read (not counted)`;
      outcome = {
        ...outcome,
        state: worst([outcome.state, State.UNKNOWN]),
        summary: `${outcome.summary}, ${said}`,
        details: [
          ...outcome.details,
          `${said}: give the lines in journalctl's short-unix or short-iso format (journalctl -o short-iso ...), or run with LC_ALL=C`,
        ],
      };
    }
    const skew = skewDetail(r.clock, "the window was taken on its clock, and its lines' times are shown on this host's");
    if (skew) {
      const note = skewNote(r.clock, 'the window taken');
      outcome = { ...outcome, summary: note ? `${outcome.summary}, ${note}` : outcome.summary, details: [skew, ...outcome.details] };
    }
    return outcome;
  };
  return judgeEach(
    check,
    results.map((r) => resultOf(r.host ?? r.source, r.error === undefined ? r : undefined, r.error)),
    judge,
    results.length === 1 && results[0]!.host === undefined,
  );
}
