// bench/RESULTS.md as the benchmarks write it: laid out by the project's formatter afterwards, as
// `npm run lint` checks it (Markdown tables too), so a benchmark run never leaves the lint red.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
export const RESULTS = join(ROOT, 'bench', 'RESULTS.md');

export function writeResults(text) {
  writeFileSync(RESULTS, text);
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', RESULTS], { encoding: 'utf8' });
  if (r.status !== 0) console.warn(`bench/RESULTS.md written, not formatted: ${r.error?.message ?? r.stderr.trim()}`);
}
