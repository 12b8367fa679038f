import { UsageError } from './errors.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace name (RFC 1123 label, at most 63 characters). */
export function dns1123Label(value: string, what: string): string {
  if (value.length > 63 || !DNS1123_LABEL.test(value))
    throw new UsageError(`${what} '${value}' is not a valid name (RFC 1123: lower-case letters, digits and '-', at most 63)`);
  return value;
}

/** A node or object name (RFC 1123 subdomain, at most 253 characters). */
export function dns1123Subdomain(value: string, what: string): string {
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value))
    throw new UsageError(`${what} '${value}' is not a valid name (RFC 1123: lower-case letters, digits, '-' and '.', at most 253)`);
  return value;
}

/** The node to judge: the one named, else this host (MicroK8s names nodes by lower-cased host name). */
export function nodeName(given: string | undefined, fallback: string): string {
  return dns1123Subdomain(given ?? fallback.toLowerCase(), '--node');
}
