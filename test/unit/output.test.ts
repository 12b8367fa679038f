import { describe, expect, it } from 'vitest';
import { render } from '../../lib/plugin/output.ts';
import { formatPerfdata } from '../../lib/plugin/perfdata.ts';
import { Range } from '../../lib/plugin/range.ts';
import { ScalarContext, Verdict } from '../../lib/plugin/verdict.ts';
import { State, worst } from '../../lib/plugin/state.ts';
import { reasonOf } from '../../lib/plugin/runner.ts';
import { ReasonedError } from '../../lib/errors.ts';

describe('perfdata', () => {
  it('formats value, UOM, thresholds, min and max, dropping empty tail fields', () => {
    expect(formatPerfdata({ label: 'locked', value: 14, warn: Range.parse('10'), crit: Range.parse('20'), min: 0 })).toBe(
      'locked=14;10;20;0',
    );
    expect(formatPerfdata({ label: 'rate', value: 2.8, min: 0 })).toBe('rate=2.8;;;0');
    expect(formatPerfdata({ label: 'age', value: 1.23456, uom: 's', max: 60 })).toBe('age=1.235s;;;;60');
    expect(formatPerfdata({ label: 'plain', value: 3 })).toBe('plain=3');
  });

  it('quotes labels with spaces and makes quotes and = harmless', () => {
    expect(formatPerfdata({ label: 'kube system', value: 1 })).toBe("'kube system'=1");
    expect(formatPerfdata({ label: "it's", value: 1 })).toBe("'it''s'=1");
    expect(formatPerfdata({ label: 'a=b', value: 1 })).toBe('a_b=1');
    // ';' separates a metric's fields and '|' starts perfdata: a label holding either is quoted too.
    expect(formatPerfdata({ label: 'a;b', value: 1 })).toBe("'a;b'=1");
    expect(formatPerfdata({ label: 'a|b', value: 1 })).toBe("'a|b'=1");
  });

  it('writes a threshold as given, without the blanks around it (-w " 5 " from an NRPE argument)', () => {
    const v = new Verdict('TEST');
    v.measure({ label: 'n', value: 7 }, new ScalarContext(Range.parse(' 5 '), Range.parse('\t10\t')));
    expect(render(v.outcome('seven'), 'nagios')).toBe('TEST WARNING - seven | n=7;5;10\n');
  });

  it('a metric whose value could not be determined is UNKNOWN where it has thresholds, its value a bare U', () => {
    const judged = new Verdict('TEST');
    judged.measure({ label: 'age', value: Number.NaN, uom: 's', min: 0 }, new ScalarContext(Range.parse('60'), Range.parse('120')));
    expect(render(judged.outcome('no age'), 'nagios')).toBe('TEST UNKNOWN - no age | age=U;60;120;0\n');
    const shown = new Verdict('TEST');
    shown.measure({ label: 'age', value: Number.NaN, uom: 's' }, new ScalarContext());
    expect(render(shown.outcome('no age'), 'nagios')).toBe('TEST OK - no age | age=U\n');
  });
});

describe('verdict and rendering', () => {
  it('takes the worst of metrics and findings; CRITICAL outranks UNKNOWN', () => {
    const v = new Verdict('TEST');
    expect(v.measure({ label: 'n', value: 3 }, new ScalarContext(Range.parse('2'), Range.parse('5')))).toBe(State.WARNING);
    v.find(State.CRITICAL, 'calico-node not Ready');
    expect(v.state).toBe(State.CRITICAL);
    expect(worst([State.UNKNOWN, State.WARNING])).toBe(State.UNKNOWN);
    expect(worst([State.UNKNOWN, State.CRITICAL])).toBe(State.CRITICAL);
  });

  it('renders first line, perfdata and long output; data cannot inject | or lines', () => {
    const v = new Verdict('TEST');
    v.measure({ label: 'n', value: 1, min: 0 }, new ScalarContext(undefined, Range.parse('0')));
    v.detail('sample: a | b\nFAKE OK - injected');
    const text = render(v.outcome('one | thing'), 'nagios');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('TEST CRITICAL - one \u00a6 thing | n=1;;0;0');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('sample: a \u00a6 b FAKE OK - injected');
    // Unicode's own line breaks and direction overrides from a log or an object: harmless too.
    const u = new Verdict('TEST');
    u.detail('holder k8s01\u2028FAKE OK\u2029x \u202egnp.exe\u2066y\u2069');
    expect(render(u.outcome('a\u2028b'), 'nagios')).toBe('TEST OK - a b\nholder k8s01 FAKE OK x  gnp.exe y \n');
  });

  it('caps long output at the byte budget with a marker, never cutting the first line', () => {
    const v = new Verdict('TEST');
    for (let i = 0; i < 500; i++) v.detail(`pod ns/pod-${i} 10.1.0.${i % 250} has no route`);
    const text = render(v.outcome('x'.repeat(300)), 'nagios');
    const [first, ...rest] = text.trimEnd().split('\n');
    expect(first).toBe(`TEST OK - ${'x'.repeat(300)}`);
    expect(Buffer.byteLength(rest.join('\n'))).toBeLessThanOrEqual(4096);
    expect(rest.at(-1)).toMatch(/^\.\.\. \d+ more lines cut at 4096 bytes/);
  });

  it('prints one JSON object with the same state and metrics', () => {
    const v = new Verdict('TEST');
    v.measure({ label: 'n', value: 7, min: 0 }, new ScalarContext(Range.parse('5'), Range.parse('10')));
    v.detail('line');
    expect(JSON.parse(render(v.outcome('seven'), 'json'))).toEqual({
      check: 'TEST',
      state: 'WARNING',
      code: 1,
      summary: 'seven',
      metrics: [{ label: 'n', value: 7, uom: '', warn: '5', crit: '10', min: 0, max: null }],
      details: ['line'],
    });
  });

  it('words an error with its cause and fix on one line', () => {
    const err = new ReasonedError('cannot read the journal', {
      cause: new Error('Permission denied'),
      fix: 'add nagios to systemd-journal',
    });
    expect(reasonOf(err)).toBe('cannot read the journal: Permission denied (fix: add nagios to systemd-journal)');
    expect(reasonOf(new TypeError('x is undefined'))).toMatch(/^internal error: x is undefined/);
  });

  it("drops Node's hint to run it with --use-system-ca: a flag the user cannot give, and a ';' Nagios would mangle", () => {
    // The text as Node 24 appends it to an unverifiable chain (its binary's string, two spaces and all).
    const tls = Object.assign(
      new Error('unable to get local issuer certificate; if the root CA is installed locally, try running Node.js with  --use-system-ca'),
      { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    );
    const err = new ReasonedError('TLS to https://10.0.0.11:16443 failed: certificate problem (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)', {
      cause: tls,
      fix: 'check certificate-authority-data',
    });
    expect(reasonOf(err)).toBe(
      'TLS to https://10.0.0.11:16443 failed: certificate problem (UNABLE_TO_GET_ISSUER_CERT_LOCALLY): ' +
        'unable to get local issuer certificate (fix: check certificate-authority-data)',
    );
  });
});
