import { stateName, worst } from './state.ts';
import type { Outcome } from './verdict.ts';

/**
 * One outcome from the outcomes of several hosts: the worst state (a CRITICAL host outranks an
 * UNKNOWN one), a summary that counts hosts by state, each host's metrics marked with its host (a label
 * suffix in perfdata), and a long-output line per host followed by that host's details when it is not OK.
 * A single host keeps its own outcome, so `--host H` reads exactly as a local run on H.
 */
export function combine(check: string, parts: { host: string; outcome: Outcome }[]): Outcome {
  if (parts.length === 1) {
    const { host, outcome } = parts[0]!;
    return { ...outcome, summary: `${host}: ${outcome.summary}` };
  }
  const state = worst(parts.map((p) => p.outcome.state));
  const counts = new Map<string, number>();
  for (const p of parts) counts.set(stateName(p.outcome.state), (counts.get(stateName(p.outcome.state)) ?? 0) + 1);
  const bad = parts.filter((p) => p.outcome.state === state && state !== 0).map((p) => p.host);
  const tally = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const details: string[] = [];
  for (const { host, outcome } of parts) {
    details.push(`${host}: ${stateName(outcome.state)} - ${outcome.summary}`);
    if (outcome.state !== 0) details.push(...outcome.details.map((d) => `  ${d}`));
  }
  return {
    check,
    state,
    summary: `${parts.length} hosts: ${tally}${bad.length ? ` (${stateName(state)}: ${bad.join(', ')})` : ''}`,
    perfdata: parts.flatMap(({ host, outcome }) => outcome.perfdata.map((p) => ({ ...p, of: [...(p.of ?? []), ['host', host] as const] }))),
    details,
    hosts: parts,
  };
}
