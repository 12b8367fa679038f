// What the evaluate tests share: a fixed now, ranges from text, perfdata as the user reads it.
import type { V1Node } from '@kubernetes/client-node';
import { formatPerfdata } from '../../../lib/plugin/perfdata.ts';
import { Range } from '../../../lib/plugin/range.ts';
import type { Outcome } from '../../../lib/plugin/verdict.ts';
import type { Cert, CertSource } from '../../../lib/sources/certs.ts';
import type { Wire } from '../../../lib/k8s/wire.ts';
import type { node } from '../../apiserver/objects.ts';

export const NOW = Date.parse('2026-11-28T03:00:00Z');
export const r = (text: string) => Range.parse(text);
export const perf = (o: Outcome) => Object.fromEntries(o.perfdata.map((p) => [p.label, formatPerfdata(p).split('=')[1]]));
export const asNodes = (list: ReturnType<typeof node>[]) => list as unknown as Wire<V1Node>[];

/**
 * A certificate as check_certs reads it (a string: a file's path): valid since a day before NOW,
 * expiring `days` (and an hour) after it.
 */
export const cert = (from: string | CertSource, days: number, now = NOW): Cert => ({
  source: typeof from === 'string' ? { kind: 'file', path: from } : from,
  subject: 'CN=x',
  issuer: 'CN=ca',
  notBefore: now - 86_400_000,
  notAfter: now + days * 86_400_000 + 3_600_000,
});
