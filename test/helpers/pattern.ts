/**
 * One regular expression written in parts, so that a long expected line stays within the
 * formatter's width: pattern(/^A /, /B$/) matches what /^A B$/ matches. The flags are the first part's.
 */
export function pattern(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(''), parts[0]?.flags);
}
