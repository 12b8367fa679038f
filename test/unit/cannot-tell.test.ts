// What a run that reached no verdict says (lib/plugin/runner.ts cannotTell): UNKNOWN for a check,
// NO-GO for the gate, and a bad command line UNKNOWN for both (nothing was looked at).
import { describe, expect, it } from 'vitest';
import { render } from '../../lib/plugin/output.ts';
import { cannotTell } from '../../lib/plugin/runner.ts';
import { State } from '../../lib/plugin/state.ts';

const firstLine = (o: Parameters<typeof render>[0]) => render(o, 'nagios').split('\n')[0];

describe('cannotTell', () => {
  it('a check that could not read its source is UNKNOWN, saying why', () => {
    const o = cannotTell({ name: 'NODES' }, 'no answer from 127.0.0.1:16443 in 8 s');
    expect(o.state).toBe(State.UNKNOWN);
    expect(firstLine(o)).toBe('NODES UNKNOWN - no answer from 127.0.0.1:16443 in 8 s');
  });

  it('the gate that could not establish health says NO-GO (CRITICAL): a gate proceeds only on health it saw', () => {
    const o = cannotTell({ name: 'RESTART-PREFLIGHT', gate: true }, 'no answer from 127.0.0.1:16443 in 8 s');
    expect(o.state).toBe(State.CRITICAL);
    expect(firstLine(o)).toBe(
      'RESTART-PREFLIGHT CRITICAL - NO-GO: cannot establish that the cluster is healthy: no answer from 127.0.0.1:16443 in 8 s',
    );
  });

  it('a bad command line is UNKNOWN for the gate too: nothing was looked at', () => {
    const o = cannotTell({ name: 'RESTART-PREFLIGHT', gate: true }, 'Unknown argument: --nod', true);
    expect(o.state).toBe(State.UNKNOWN);
    expect(firstLine(o)).toBe('RESTART-PREFLIGHT UNKNOWN - Unknown argument: --nod');
  });
});
