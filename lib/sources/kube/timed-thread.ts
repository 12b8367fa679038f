// Requests timed on a thread of their own. In a shared run (`microk8s-checks all`, the poll cycle)
// the main thread is busy with every other check's lists and journal lines: a response that
// arrived waits there for its turn, and a time measured there is the process's backlog as much
// as the API server's answer (1.1 s against 0.05 s, docs/poll-cycle.md). A worker thread has an
// event loop of its own, so the time it measures is the request's.
import type { RequestOptions } from 'node:https';
import { Worker } from 'node:worker_threads';

/** What the thread sends: each path of `server` once, with these options, its body cut at `maxBytes`. */
export interface TimedJob {
  server: string;
  paths: string[];
  /** Credentials and TLS settings (no agent: each request has a connection of its own). */
  options: RequestOptions;
  maxBytes: number;
}

/** One path's answer, or what kept it from one (a network error's code and message; never a header). */
export type TimedResult =
  | { status: number; text: string; contentType: string; ms: number }
  | { tooLarge: number }
  | { error: { code?: string; message: string } };

/**
 * The thread's whole program: run from its source (not a module of the bundle), it reaches
 * nothing but node's own modules and its workerData. Each path is asked at once on its own
 * connection, timed from sending to the last byte of the answer.
 */
function timedRequests(): void {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const job = workerData as TimedJob;
  const post = (i: number, result: TimedResult) => parentPort?.postMessage({ i, result });
  job.paths.forEach((path, i) => {
    const url = new URL(path, job.server);
    const started = performance.now();
    const client = process.getBuiltinModule(url.protocol === 'http:' ? 'node:http' : 'node:https');
    let done = false;
    const end = (result: TimedResult) => {
      if (done) return;
      done = true;
      post(i, result);
    };
    const req = client.request(url, { ...job.options, agent: false, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= job.maxBytes) return void chunks.push(chunk);
        end({ tooLarge: size });
        res.destroy();
      });
      res.once('end', () =>
        end({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          contentType: String(res.headers['content-type'] ?? ''),
          ms: performance.now() - started,
        }),
      );
      res.once('close', () => {
        if (!res.complete) end({ error: { code: 'ECONNRESET', message: 'connection closed before the response ended' } });
      });
    });
    req.once('error', (err: NodeJS.ErrnoException) => end({ error: { code: err.code, message: err.message } }));
    req.end();
  });
}

/** Whether this runtime can run the thread's program (process.getBuiltinModule: Node 22.3). */
export const haveTimedThread = () => typeof process.getBuiltinModule === 'function';

/**
 * Send the job's requests from a worker thread and give each path's result, in order. The thread
 * ends as soon as every answer is in, on `signal` (the run's deadline; rejected with its reason),
 * or if it fails; it is never left running, with a socket open or not.
 */
export function timedOnThread(job: TimedJob, signal: AbortSignal): Promise<TimedResult[]> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const results: TimedResult[] = [];
    let left = job.paths.length;
    const worker = new Worker(`(${timedRequests.toString()})()`, { eval: true, workerData: job, stdout: true, stderr: true });
    const end = (settle: () => void) => {
      signal.removeEventListener('abort', onAbort);
      worker.removeAllListeners();
      // Its error, if any, is already told; terminating ends its sockets with it.
      worker.on('error', () => undefined);
      void worker.terminate();
      settle();
    };
    const onAbort = () => end(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', ({ i, result }: { i: number; result: TimedResult }) => {
      results[i] = result;
      if (--left === 0) end(() => resolve(results));
    });
    // Its own failure (not the request's): said without its message, which might quote its data.
    worker.on('error', (err: Error) => end(() => reject(new Error(`the thread timing the requests failed (${err.name})`))));
    worker.on('exit', (code) => end(() => reject(new Error(`the thread timing the requests ended early (exit ${code})`))));
  });
}
