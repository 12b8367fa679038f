// -w/-c and the text a person reads count MB of 1024 * 1024 bytes (as ls -lh and df -h do); the
// perfdata counts bytes, B: Icinga 2 reads MB as 1000 * 1000 bytes (since 2.11; 1024 * 1024
// before), so only B is the same number of bytes to every reader (pnp4nagios, Graphite, Prometheus).
export const MB = 1024 * 1024;

/** One decimal, as the text says a number. */
export const round = (n: number) => Math.round(n * 10) / 10;

/** Bytes in MB as the text says them. */
export const mb = (bytes: number) => round(bytes / MB);
