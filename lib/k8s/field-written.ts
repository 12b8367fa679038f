// When the API server last recorded a write of some field: the managedFields entry of the manager
// that owns it holds a time the API server stamps by its own clock (whole seconds) whenever an
// update changes a value that manager owns (managedfields' managedFieldsUpdater). Unlike a time
// the writer put in the object (a Lease's renewTime), no client's clock is in it.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { apiTime } from './time.ts';
import type { Wire } from './wire.ts';

/**
 * The newest managedFields time of an entry that owns `path` (fieldsV1 keys such as 'f:spec',
 * 'f:renewTime'), status-subresource entries left out; undefined where none does (managedFields
 * stripped by some tools, or a cluster that keeps none).
 */
export function writtenAt(meta: Wire<V1ObjectMeta> | undefined, path: readonly string[]): number | undefined {
  let newest: number | undefined;
  for (const entry of meta?.managedFields ?? []) {
    if (entry.subresource === 'status' || !entry.time) continue;
    let fields: unknown = entry.fieldsV1;
    for (const key of path) fields = fields && typeof fields === 'object' ? (fields as Record<string, unknown>)[key] : undefined;
    if (fields === undefined) continue;
    const t = apiTime(entry.time, `managedFields time of ${meta?.namespace}/${meta?.name}`)!;
    if (newest === undefined || t > newest) newest = t;
  }
  return newest;
}
