import { describe, expect, it } from 'vitest';
import * as certs from '../../checks/certs.ts';
import { openMetrics } from '../../lib/plugin/openmetrics.ts';
import { render } from '../../lib/plugin/output.ts';
import { Range } from '../../lib/plugin/range.ts';
import { State } from '../../lib/plugin/state.ts';
import type { Outcome } from '../../lib/plugin/verdict.ts';
import { cert, NOW } from './evaluate/helpers.ts';

const outcome = (o: Partial<Outcome>): Outcome => ({
  check: 'DQLITE-STORAGE',
  state: State.OK,
  summary: 'fine',
  perfdata: [],
  details: [],
  ...o,
});
const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('# HELP'));

describe('--format openmetrics', () => {
  it('converts Nagios units to base units, named in the metric, thresholds scaled alike', () => {
    const text = openMetrics([
      outcome({
        perfdata: [
          { label: 'free_pct', value: 12.5, uom: '%', warn: Range.parse('20:'), crit: Range.parse('10:'), min: 0, max: 100 },
          { label: 'snapshot_size', value: 2097152, uom: 'B' },
          // No check prints one (sizes go out in B), but a KB/MB/TB is read as Icinga 2 reads it: 1000-multiples.
          { label: 'backup_size', value: 2, uom: 'MB' },
          { label: 'read', value: 70, uom: 'ms' },
          { label: 'restarts_k8s-dqlite', value: 4, uom: 'c' },
        ],
      }),
    ]);
    expect(lines(text)).toEqual([
      '# TYPE microk8s_check_state gauge',
      'microk8s_check_state{check="dqlite-storage"} 0',
      '# TYPE microk8s_dqlite_storage_free_ratio gauge',
      '# UNIT microk8s_dqlite_storage_free_ratio ratio',
      'microk8s_dqlite_storage_free_ratio 0.125',
      '# TYPE microk8s_dqlite_storage_free_threshold_ratio gauge',
      '# UNIT microk8s_dqlite_storage_free_threshold_ratio ratio',
      'microk8s_dqlite_storage_free_threshold_ratio{level="warning",bound="low",alert="outside"} 0.2',
      'microk8s_dqlite_storage_free_threshold_ratio{level="warning",bound="high",alert="outside"} +Inf',
      'microk8s_dqlite_storage_free_threshold_ratio{level="critical",bound="low",alert="outside"} 0.1',
      'microk8s_dqlite_storage_free_threshold_ratio{level="critical",bound="high",alert="outside"} +Inf',
      '# TYPE microk8s_dqlite_storage_snapshot_size_bytes gauge',
      '# UNIT microk8s_dqlite_storage_snapshot_size_bytes bytes',
      'microk8s_dqlite_storage_snapshot_size_bytes 2097152',
      '# TYPE microk8s_dqlite_storage_backup_size_bytes gauge',
      '# UNIT microk8s_dqlite_storage_backup_size_bytes bytes',
      'microk8s_dqlite_storage_backup_size_bytes 2000000',
      '# TYPE microk8s_dqlite_storage_read_seconds gauge',
      '# UNIT microk8s_dqlite_storage_read_seconds seconds',
      'microk8s_dqlite_storage_read_seconds 0.07',
      '# TYPE microk8s_dqlite_storage_restarts_k8s_dqlite gauge',
      'microk8s_dqlite_storage_restarts_k8s_dqlite 4',
      '# EOF',
    ]);
  });

  it('leaves an undetermined value out, marks an inside (@) range, escapes labels, and keeps colliding names apart', () => {
    const text = openMetrics(
      [
        outcome({
          check: 'A"B\\C',
          state: State.UNKNOWN,
          perfdata: [
            { label: 'age', value: Number.NaN, uom: 's' },
            { label: 'x.y', value: 1, warn: Range.parse('@5:10') },
            { label: 'x_y', value: 2 },
          ],
        }),
      ],
      [{ check: 'SERVICES', why: 'systemd is not running on this host' }],
    );
    const l = lines(text);
    expect(l).toContain('microk8s_check_state{check="a\\"b\\\\c"} 3');
    expect(l).toContain('microk8s_check_skipped{check="services"} 1');
    expect(l.some((x) => x.startsWith('microk8s_a_b_c_age'))).toBe(false);
    expect(l).toContain('microk8s_a_b_c_x_y_threshold{level="warning",bound="low",alert="inside"} 5');
    expect(l).toContain('microk8s_a_b_c_x_y 1');
    expect(l).toContain('microk8s_a_b_c_x_y_2 2');
  });

  it("check_dqlite_storage's free share and free space are free_ratio and free_bytes: a unit keeps names apart", () => {
    // Its perfdata: free_pct=99.4%;20:;10:;0;100 free=25117947494B;;209716:;0. Both drop to the base "free"; the units keep them apart.
    const l = lines(
      openMetrics([
        outcome({
          perfdata: [
            { label: 'free_pct', value: 50, uom: '%', warn: Range.parse('20:'), crit: Range.parse('10:'), min: 0, max: 100 },
            { label: 'free', value: 2097152, uom: 'B', crit: Range.below(524288), min: 0 },
          ],
        }),
      ]),
    );
    expect(l).toContain('microk8s_dqlite_storage_free_ratio 0.5');
    expect(l).toContain('microk8s_dqlite_storage_free_bytes 2097152');
    expect(l).toContain('microk8s_dqlite_storage_free_threshold_bytes{level="critical",bound="low",alert="outside"} 524288');
    expect(l.some((x) => x.includes('free_2'))).toBe(false);
  });

  it("a duration in days (check_certs') is seconds, named without the days; its Nagios perfdata keeps the days", () => {
    const o = certs.evaluate(
      { now: NOW, certs: [cert('/c/ca.crt', 3000), cert('/c/server.crt', 20)], unreadable: [] },
      { warning: Range.parse('30:'), critical: Range.parse('7:') },
    );
    expect(lines(openMetrics([o])).filter((l) => l.includes('microk8s_certs_'))).toEqual([
      '# TYPE microk8s_certs_min_seconds gauge',
      '# UNIT microk8s_certs_min_seconds seconds',
      'microk8s_certs_min_seconds 1728000',
      '# TYPE microk8s_certs_min_threshold_seconds gauge',
      '# UNIT microk8s_certs_min_threshold_seconds seconds',
      'microk8s_certs_min_threshold_seconds{level="warning",bound="low",alert="outside"} 2592000',
      'microk8s_certs_min_threshold_seconds{level="warning",bound="high",alert="outside"} +Inf',
      'microk8s_certs_min_threshold_seconds{level="critical",bound="low",alert="outside"} 604800',
      'microk8s_certs_min_threshold_seconds{level="critical",bound="high",alert="outside"} +Inf',
      '# TYPE microk8s_certs_ca_seconds gauge',
      '# UNIT microk8s_certs_ca_seconds seconds',
      'microk8s_certs_ca_seconds 259200000',
      '# TYPE microk8s_certs_server_seconds gauge',
      '# UNIT microk8s_certs_server_seconds seconds',
      'microk8s_certs_server_seconds 1728000',
    ]);
    expect(openMetrics([o])).toContain("# HELP microk8s_certs_min_seconds CERTS perfdata 'min_days' (days as seconds)\n");
    // Nagios perfdata has no UOM for days: the bare number stays, as before.
    expect(render(o, 'nagios').split('\n')[0]).toMatch(/\| min_days=20;30:;7: days_ca=3000 days_server=20$/);
  });

  it('a line break in a label or a host is escaped, never a new line of the exposition', () => {
    const text = openMetrics([outcome({ perfdata: [{ label: 'up\nx', value: 1, of: [['host', 'k8s"\n01']] }] })]);
    expect(text).toContain("# HELP microk8s_dqlite_storage_up_x DQLITE-STORAGE perfdata 'up\\nx'\n");
    expect(text).toContain('microk8s_dqlite_storage_up_x{host="k8s\\"\\n01"} 1\n');
    expect(text.split('\n').filter((l) => l && !/^(# |microk8s_)/.test(l))).toEqual([]);
  });

  it('is what one check prints for --format openmetrics; nagios output is unchanged', () => {
    const o = outcome({ perfdata: [{ label: 'n', value: 1 }] });
    expect(render(o, 'openmetrics')).toBe(openMetrics([o]));
    expect(render(o, 'nagios')).toBe('DQLITE-STORAGE OK - fine | n=1\n');
  });
});

describe('--format junit', () => {
  it('a WARNING is a failure counted as one; its output holds the first line with perfdata and the long output', () => {
    const xml = render(
      outcome({ state: State.WARNING, summary: 'slow', perfdata: [{ label: 'n', value: 7, warn: Range.parse('5') }], details: ['line'] }),
      'junit',
    );
    expect(xml).toMatch(/<testsuite name="DQLITE-STORAGE" tests="1" failures="1" errors="0" skipped="0" /);
    expect(xml).toContain('<failure type="WARNING" message="DQLITE-STORAGE WARNING - slow">line</failure>');
    expect(xml).toContain('<system-out>DQLITE-STORAGE WARNING - slow | n=7;5\nline\n</system-out>');
  });
});
