import { writeSync } from 'node:fs';
import { killChildren } from '../children.ts';

const WRITE_PATIENCE_MS = 2000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write all of it to a file descriptor before the process exits. process.stdout on a pipe gives
 * up at the pipe's 64 KiB when the reader is slower than the writer and process.exit follows, so
 * the write is done here, synchronously, waiting while the pipe is full: as long as the reader
 * takes some of it every few seconds (a reader that reads, however slowly, gets it whole; counted
 * from the first write, a poller reading in pieces over more than 2 s got the first 64 KiB), and
 * no longer once it takes nothing (a reader that never reads must not keep the run past its -t).
 */
export function writeAll(fd: number, text: string): void {
  const data = Buffer.from(text);
  let done = 0;
  let giveUp = Date.now() + WRITE_PATIENCE_MS;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done);
      giveUp = Date.now() + WRITE_PATIENCE_MS;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' || Date.now() > giveUp) return;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}

/**
 * The one way a run ends, whatever ended it (a verdict, the deadline, a signal, a crash): the
 * output goes out whole, no process the run started is left running, and the exit code is the
 * state's. `aside` goes to stderr: what a format has no room for (lib/plugin/output.ts, reasonsAside).
 */
export function finish(text: string, code: number, aside = ''): never {
  killChildren();
  if (aside) writeAll(2, aside);
  writeAll(1, text);
  process.exit(code);
}
