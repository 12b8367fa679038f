import type { Readable } from 'node:stream';

/** Longest line kept; the rest of a longer one is dropped so one bad line cannot eat memory. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Calls onLine for every line of the stream without ever holding more than one line and one
 * chunk, so memory stays flat however long the log is.
 */
export async function forEachLine(stream: Readable, onLine: (line: string) => void, maxLine = MAX_LINE_BYTES): Promise<void> {
  let rest: Buffer | undefined;
  let discarding = false;
  const deliver = (buf: Buffer, start: number, end: number) => {
    if (end > start && buf[end - 1] === 13) end--;
    onLine(buf.toString('utf8', start, Math.min(end, start + maxLine)));
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf(10, start)) !== -1) {
      if (discarding) discarding = false;
      else deliver(buf, start, nl);
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
    if (rest && rest.length > maxLine) {
      if (!discarding) deliver(rest, 0, maxLine);
      discarding = true;
      rest = undefined;
    }
  }
  if (rest && !discarding) deliver(rest, 0, rest.length);
}
