import { describe, expect, it } from 'vitest';
import { askCli } from '../../lib/sources/dqlite-cluster.ts';

describe('askCli', () => {
  // A deadline's remainder is fractional (the shared cycle counts -t from when the caller asked):
  // seen as "internal error: The value of "delay" is out of range" through a real Nagios.
  it('takes a fractional budget', async () => {
    const answer = await askCli(async () => '127.0.0.1:19001', ['dqlite'], 5382.845703125, new AbortController().signal);
    expect(answer).toEqual({ kind: 'answer', out: '127.0.0.1:19001' });
  });
});
