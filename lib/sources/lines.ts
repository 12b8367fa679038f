import type { Readable } from 'node:stream';

/** Longest line kept whole; of a longer one the first and last halves are kept. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Where a line too long to keep was shortened. */
export const CUT_MARK = ' \u2026 ';

const LF = 10;
const CR = 13;

/**
 * Calls onLine for every line of the stream without ever holding more than one (bounded) line
 * and one chunk, so memory stays flat however long the log is. A line ends at LF, CRLF or a lone
 * CR (old syslog exports, logs saved on other systems). A line longer than maxLine bytes is handed
 * over as its first and last halves joined by CUT_MARK, with cut set: the end of a line is where
 * kine and klog put what the checks look for, and the caller can say that lines were shortened.
 * afterCr says the line follows a lone CR: journalctl ends entries with LF and prints a CR in a
 * message as it is, so there the line is the same entry's, whatever it looks like.
 */
export async function forEachLine(
  stream: Readable,
  onLine: (line: string, cut: boolean, afterCr: boolean) => void,
  maxLine = MAX_LINE_BYTES,
): Promise<void> {
  const half = maxLine >> 1;
  let pending: Buffer | undefined;
  let head: Buffer | undefined;
  let tail: Buffer | undefined;
  let lfAfterCr = false;
  let afterCr = false;

  const append = (seg: Buffer) => {
    if (seg.length === 0) return;
    if (head) {
      const joined = tail ? Buffer.concat([tail, seg]) : seg;
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - half)));
      return;
    }
    pending = pending ? Buffer.concat([pending, seg]) : seg;
    if (pending.length > maxLine) {
      head = Buffer.from(pending.subarray(0, half));
      tail = Buffer.from(pending.subarray(pending.length - half));
      pending = undefined;
    }
  };
  const end = () => {
    if (head) onLine(head.toString('utf8') + CUT_MARK + (tail?.toString('utf8') ?? ''), true, afterCr);
    else onLine(pending ? pending.toString('utf8') : '', false, afterCr);
    pending = head = tail = undefined;
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (chunk.length === 0) continue;
    let start = 0;
    if (lfAfterCr && chunk[0] === LF) {
      start = 1;
      afterCr = false;
    }
    lfAfterCr = false;
    let lf = chunk.indexOf(LF, start);
    let cr = chunk.indexOf(CR, start);
    for (;;) {
      const at = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (at === -1) {
        append(chunk.subarray(start));
        break;
      }
      append(chunk.subarray(start, at));
      end();
      start = at + 1;
      // A CR at the end of a chunk may be a CRLF's: the next chunk tells, before its first line ends.
      afterCr = chunk[at] === CR && chunk[start] !== LF;
      if (chunk[at] === CR) {
        if (start === chunk.length) lfAfterCr = true;
        else if (chunk[start] === LF) start++;
      }
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start);
    }
  }
  if (pending || head) end();
}
