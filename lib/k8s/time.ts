import { ReasonedError } from '../errors.ts';

export class ApiTimeError extends ReasonedError {
  override readonly name = 'ApiTimeError';
}

// metav1.Time and MicroTime as the API server writes them (RFC 3339, optional fraction).
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

/**
 * Milliseconds since the epoch of a time field of an API object; undefined when the field is not
 * set. A value that is not a time throws: read as NaN it would compare as neither old nor new,
 * and a check would call the object fresh.
 */
export function apiTime(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new ApiTimeError(`${what} is '${value.length > 40 ? `${value.slice(0, 40)}...` : value}', which is not a time`, {
      fix: 'check what answers at the server address: the API server writes RFC 3339 times',
    });
  }
  return ms;
}
