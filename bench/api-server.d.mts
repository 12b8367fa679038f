// Types of bench/api-server.mjs for the tests that import it (test/unit/bench-api-server.test.ts).
import type { ChildProcess } from 'node:child_process';

/** The test API server's first line, parsed; rejected if the server exits before it. */
export function firstLine(child: ChildProcess): Promise<{ url: string; kubeconfig: string }>;
