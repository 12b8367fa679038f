// The run's deadline (-t) and its parts (lib/plugin/deadline.ts): what ends when, and what a
// timeout says. Timings are loose: the machine is shared.
import { describe, expect, it } from 'vitest';
import { Deadline, partSeconds } from '../../lib/plugin/deadline.ts';

describe('Deadline', () => {
  it('expires once, aborting its signal with a reason that says what the run was waiting for', async () => {
    const expired: string[] = [];
    const d = new Deadline(0.05, (x) => expired.push(x.reason()));
    d.activity = 'listing nodes';
    await new Promise((r) => setTimeout(r, 300));
    expect(d.signal.aborted).toBe(true);
    expect(expired).toEqual(['timed out after 0.05s while listing nodes']);
    expect(String(d.signal.reason)).toContain('timed out after 0.05s while listing nodes');
    expect(d.remainingMs()).toBe(0);
  });

  it('a child shares the signal and the end, with an activity of its own; cancel stops the timer', async () => {
    let expired = 0;
    const d = new Deadline(0.05, () => expired++);
    const c = d.child();
    c.activity = 'reading leases';
    expect(c.signal).toBe(d.signal);
    expect(c.expiresAt).toBe(d.expiresAt);
    expect(c.reason()).toBe('timed out after 0.05s while reading leases');
    c.cancel();
    await new Promise((r) => setTimeout(r, 200));
    expect([expired, d.signal.aborted]).toEqual([0, false]);
  });

  it('stop (a signal) ends the run at once, as its timeout would, each child saying what it waited for', () => {
    const ended: string[] = [];
    const d = new Deadline(10, (x) => ended.push(...[x, ...children].map((c) => c.reason())));
    const children = [d.child(), d.child()];
    children[0]!.activity = 'reading leases';
    d.stop('SIGTERM');
    expect(ended).toEqual(['stopped by SIGTERM', 'stopped by SIGTERM while reading leases', 'stopped by SIGTERM']);
    expect(d.signal.aborted).toBe(true);
    expect(children[1]!.stoppedBy).toBe('SIGTERM');
  });

  it('a read held up before it began (a credential plugin) is named first, beside reads still open', () => {
    const ended: string[] = [];
    const d = new Deadline(10, (x) => ended.push(x.reason()));
    let plugin: string | undefined = "credential plugin 'aws'";
    void d.during('listing nodes', async (c) => {
      c.heldUpBy(() => plugin && `waiting for ${plugin}`);
      await new Promise(() => undefined);
    });
    void d.during('reading the journal', () => new Promise(() => undefined));
    expect(d.reason()).toBe("timed out after 10s while waiting for credential plugin 'aws', before listing nodes; reading the journal");
    plugin = undefined;
    d.stop('SIGTERM');
    expect(ended).toEqual(['stopped by SIGTERM while listing nodes; reading the journal']);
  });

  it('a part ends before its run, leaving time to judge the others, and ends at once with the run', async () => {
    const d = new Deadline(10, () => undefined);
    const p = d.part();
    expect(p.expiresAt).toBeLessThan(d.expiresAt);
    expect(d.expiresAt - p.expiresAt).toBeGreaterThanOrEqual(900);
    expect(p.signal).not.toBe(d.signal);
    const q = d.part();
    q.done();
    d.cancel();

    const short = new Deadline(0.2, () => undefined);
    const part = short.part();
    await new Promise((r) => setTimeout(r, 500));
    expect([part.signal.aborted, short.signal.aborted]).toEqual([true, true]);
  });

  it("a part's time is said in tenths, under a second in two digits, never as 0 (-t 0.1 left a part 'timed out after 0s')", () => {
    expect([9000, 7249, 1000, 950, 50, 23, 4, 0].map(partSeconds)).toEqual([9, 7.2, 1, 0.95, 0.05, 0.023, 0.004, 0.001]);
  });

  it("a part's own end does not end the run", async () => {
    const d = new Deadline(1, () => undefined);
    const p = d.part();
    await new Promise((r) => setTimeout(r, 900));
    expect(p.signal.aborted).toBe(true);
    expect(d.signal.aborted).toBe(false);
    d.cancel();
  });
});
