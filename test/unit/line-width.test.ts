// Biome formats to 140 columns but leaves long strings, templates, regular expressions and
// comments as they are: this keeps those within the width too, so every line reads without
// scrolling (split a string with +, a regular expression with test/helpers/pattern.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const WIDTH = (JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as { formatter: { lineWidth: number } }).formatter.lineWidth;
const SKIP = new Set(['node_modules', 'dist', '.build', '.git', 'work']);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

describe('source lines', () => {
  it(`are at most the formatter's width (${WIDTH} columns)`, () => {
    const files = sources('.');
    expect(files).toEqual(
      expect.arrayContaining(['launcher.mjs', join('lib', 'plugin', 'runner.ts'), join('test', 'unit', 'line-width.test.ts')]),
    );
    const over = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => ([...line].length > WIDTH ? [`${file}:${i + 1}: ${[...line].length} columns`] : [])),
    );
    expect(over).toEqual([]);
  });
});
