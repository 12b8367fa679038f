// The build guard: the bundles' start-up must not evaluate what the build plugins keep out of it
// (build-plugins.mjs). A dependency upgrade that changes an import path would make a plugin stop
// matching without any error; start-up would grow by a third and nothing else would fail. Read
// from the esbuild metafile that `npm run build` (run by `npm test` first) leaves in .build/.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../checks/registry.ts';
import { VERSION } from '../../lib/version.ts';

interface Meta {
  inputs: Record<string, { imports: { path: string; kind: 'import-statement' | 'require-call' | 'dynamic-import' }[] }>;
}

const META = '.build/meta.json';

/**
 * Every module evaluated when an entry starts: static imports and require() calls, followed from
 * the entry. Dynamic imports run later (SSH with --host, pino with -v), and a build plugin's
 * stand-in (namespace defer-*) requires its real module only when first called.
 */
function startUp(meta: Meta, entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const path = todo.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    if (path.startsWith('defer-')) continue;
    for (const i of meta.inputs[path]?.imports ?? []) if (i.kind !== 'dynamic-import') todo.push(i.path);
  }
  return seen;
}

describe('the build', () => {
  it('left its metafile (npm run build runs before the tests)', () => {
    expect(existsSync(META), `${META} is missing: run npm run build`).toBe(true);
  });

  const meta = (existsSync(META) ? JSON.parse(readFileSync(META, 'utf8')) : { inputs: {} }) as Meta;
  const deferred = [
    ['undici', /^node_modules\/undici\//],
    ["yargs' help layout (cliui, string-width)", /^node_modules\/(cliui|string-width|wrap-ansi)\//],
    ['pino', /^node_modules\/pino\//],
    ['ssh2', /^node_modules\/ssh2\//],
    ['cron-parser and luxon', /^node_modules\/(cron-parser|luxon)\//],
  ] as const;

  // A command starts with the suite's entry (cli/suite.ts) and its own module, which the registry
  // imports (check_apiserver alone: its own entry, .build/check_apiserver.ts).
  const commands = [
    ...REGISTRY.map((e) => ({ command: e.command, entries: ['cli/suite.ts', `checks/${e.file}.ts`] })),
    { command: 'check_apiserver alone', entries: ['.build/check_apiserver.ts'] },
    { command: 'microk8s-checks', entries: ['cli/suite.ts', 'cli/microk8s-checks.ts'] },
  ];
  for (const { command, entries } of commands) {
    it(`${command}: keeps undici, the help layout, pino, ssh2 and cron-parser out of start-up, yet bundles them`, () => {
      for (const entry of entries) expect(meta.inputs[entry], `${entry} is not in the metafile`).toBeDefined();
      const loaded = entries.flatMap((entry) => [...startUp(meta, entry)]);
      for (const [what, path] of deferred)
        expect(
          loaded.filter((p) => path.test(p)),
          `${what} is evaluated at start-up of ${command}`,
        ).toEqual([]);
    });
  }

  it('bundles what is deferred (a stand-in that loads nothing would break --help, -v and --host)', () => {
    const all = Object.keys(meta.inputs);
    for (const [what, path] of deferred)
      expect(
        all.some((p) => path.test(p)),
        what,
      ).toBe(true);
  });

  it("bundles no package.json lookup for yargs' version guess (escalade): every parser sets its own version", () => {
    // Were the stand-in (build-plugins.mjs, noPackageLookup) to stop matching, every yargs() call
    // would list the working directory and each one above it again.
    expect(Object.keys(meta.inputs).filter((p) => /^node_modules\/escalade\//.test(p))).toEqual([]);
    expect(Object.keys(meta.inputs).some((p) => p.startsWith('no-package-lookup:'))).toBe(true);
  });

  it("bundles no run-time check of yargs' own API calls (argsert): the checks' calls are type-checked", () => {
    // Were the stand-in (build-plugins.mjs, noArgsert) to stop matching, every .option() call
    // would parse a signature string again.
    expect(Object.keys(meta.inputs).filter((p) => /^node_modules\/yargs\/build\/lib\/argsert\.js$/.test(p))).toEqual([]);
    expect(Object.keys(meta.inputs).some((p) => p.startsWith('no-argsert:'))).toBe(true);
  });
});

describe('the registry', () => {
  it('lists every check file once, under the command and name its definition has', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('checks')
      .filter((f) => f.endsWith('.ts') && f !== 'registry.ts')
      .map((f) => f.replace(/\.ts$/, ''));
    expect(REGISTRY.map((e) => e.file).sort()).toEqual(files.sort());
    for (const e of REGISTRY) {
      const { check } = await e.load();
      expect([check.command, check.name], e.file).toEqual([e.command, e.name]);
    }
  });

  it("the version is package.json's", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
