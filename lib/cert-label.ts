// check_certs' perfdata: one metric per certificate's label, for graphs that keep their line
// across runs. The label comes from where the certificate was read, as lib/sources/certs.ts
// words it (a file, "served by host:port", "kubeconfig user <name>").
import { basename } from 'node:path';

/** A perfdata label for a certificate: the file's name, or the server it was served by. */
function labelOf(where: string): string {
  const name = where.startsWith('served by ')
    ? `served_${where.slice(10)}`
    : where.startsWith('kubeconfig user ')
      ? 'client'
      : basename(where).replace(/\.crt$/, '');
  return `days_${name.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/**
 * Days left per label, the soonest of its certificates: a chain (server.crt with its
 * intermediate), or a --cert of the same name as a file of the directory, share one label.
 */
export function soonestByLabel(judged: { c: { where: string }; days: number }[]): Map<string, number> {
  const soonestOf = new Map<string, number>();
  for (const { c, days } of judged) {
    const label = labelOf(c.where);
    soonestOf.set(label, Math.min(days, soonestOf.get(label) ?? days));
  }
  return soonestOf;
}
