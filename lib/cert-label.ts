// check_certs' perfdata: one metric per certificate's label, for graphs that keep their line
// across runs. The label is made from where the certificate was read (its CertSource), as its
// words are (lib/sources/certs.ts, wordsOf): never from those words.
import { basename } from 'node:path';
import type { CertSource } from './sources/certs.ts';

/** A perfdata label for a certificate: the file's name, the server it was served by, or `client`. */
function labelOf(source: CertSource): string {
  return `days_${nameOf(source).replace(/[^A-Za-z0-9]+/g, '_')}`;
}

function nameOf(source: CertSource): string {
  switch (source.kind) {
    case 'file':
      return basename(source.path).replace(/\.crt$/, '');
    case 'served':
      return `served_${source.host}`;
    case 'kubeconfig':
      return 'client';
  }
}

/**
 * Days left per label, the soonest of its certificates: a chain (server.crt with its
 * intermediate), or a --cert of the same name as a file of the directory, share one label.
 */
export function soonestByLabel(judged: { c: { source: CertSource }; days: number }[]): Map<string, number> {
  const soonestOf = new Map<string, number>();
  for (const { c, days } of judged) {
    const label = labelOf(c.source);
    soonestOf.set(label, Math.min(days, soonestOf.get(label) ?? days));
  }
  return soonestOf;
}
