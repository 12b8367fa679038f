// Bundles the checks into dist/microk8s-checks.d/ (one script for every command, and a small module per command that
// runs it: no node_modules at run time) and writes dist/<command>, a POSIX sh launcher (launcher.mjs) that finds a
// Node >= 22 runtime.
import { build } from 'esbuild';
// Exact versions in package.json: these plugins match on dependencies' file paths and import
// names, which a minor release may move (test/unit/build.test.ts fails then, instead of start-up
// silently growing).
import { deferHelpLayout, deferUndici, noArgsert, noPackageLookup, requireBuiltins, treeShakeClientNode } from './build-plugins.mjs';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { buildId, launcher } from './launcher.mjs';
// The one list of checks (plain data; Node strips its types, and no check is loaded here).
import { REGISTRY } from './checks/registry.ts';
import { REINSTALL_FIX } from './lib/errors.ts';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/microk8s-checks.d', { recursive: true });

// One bundle for every command (cli/suite.ts), CommonJS: each command's stub runs it as a script
// (loadStub below), whose V8 code cache can be made after a run, with every function that run
// compiled. Node's own compile cache, for ES modules, holds only what V8 compiles before a module
// runs, so each run compiled again the functions it called (600 for check_nodes, 1,200 for `all`):
// a quarter of a check's CPU, measured (bench/RESULTS.md). In the one bundle a command evaluates
// only its own modules: a module reached by the registry's import() is initialized when loaded.
rmSync('.build', { recursive: true, force: true });
mkdirSync('.build', { recursive: true });
const SUITE = 'suite.cjs';
const common = {
  metafile: true,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // ASCII only (esbuild keeps µ in a regular expression otherwise): V8 then holds the source in
  // one byte a character, not two (6 MB of the 3 MB bundle).
  charset: 'ascii',
  legalComments: 'none',
  minify: true,
  // ssh2's optional native crypto: it falls back to pure JS when the binding is absent.
  external: ['*.node', 'cpu-features'],
  plugins: [requireBuiltins, deferHelpLayout, deferUndici, treeShakeClientNode, noPackageLookup, noArgsert],
  // The bundle is one function expression, which the stub compiles as a script and calls with
  // what a CommonJS module has (wrapped here, the source needs no copy with a wrapper at run
  // time); strict, as the ES modules it is made of are. ES module dependencies (yargs) ask
  // import.meta.url where they are: the bundle's own file.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: {
    js:
      '(function (exports, require, module, __filename, __dirname) {"use strict";' +
      'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  footer: { js: '})' },
  logLevel: 'warning',
};
// check_apiserver run alone (NRPE without --cycle, by hand; in `all` it is one module of the
// suite) has a bundle of its own: it never lists a resource, and through client-node's index in
// the suite it would evaluate every generated API and model the other checks use (0.13 against
// 0.11 CPU-s a run here).
const ALONE = ['check_apiserver'];
const bundleOf = (command) => (ALONE.includes(command) ? `${command}.cjs` : SUITE);
const results = [
  await build({ ...common, entryPoints: ['cli/suite.ts'], outfile: `dist/microk8s-checks.d/${SUITE}` }),
  ...(await Promise.all(
    ALONE.map((command) => {
      const { file } = REGISTRY.find((e) => e.command === command);
      writeFileSync(
        `.build/${command}.ts`,
        `import { check } from '../checks/${file}.ts';\nimport { runCheck } from '../lib/plugin/runner.ts';\nvoid runCheck(check);\n`,
      );
      return build({ ...common, entryPoints: [`.build/${command}.ts`], outfile: `dist/microk8s-checks.d/${bundleOf(command)}` });
    }),
  )),
];
// One metafile for the build guard: every module of every bundle (a module's imports are the same in each).
const metafile = { inputs: {}, outputs: {} };
for (const r of results) {
  Object.assign(metafile.inputs, r.metafile.inputs);
  Object.assign(metafile.outputs, r.metafile.outputs);
}
/**
 * The module the launcher runs. It runs the suite's bundle as a script for its command, with the
 * code cache the launcher names (MICROK8S_CHECKS_CODE_CACHE, a directory of this build in the
 * user's cache), and after a run that judged more checks than the one that made the cache
 * (lib/plugin/code-cache.ts) leaves a cache made from what the run compiled: V8 checks a cache
 * against its own version and flags and the source's length (not its content), and one it
 * rejects is made anew. Written whole or not at all (a new
 * name, then renamed), by the user who runs the check, never read from a directory the launcher
 * did not make. V8 keeps no checksum and runs what a cache holds: it is read only from a file of
 * the user's own that nobody else may write, and only with the SHA-256 kept before it, of what it
 * holds and of the bundle file it was made from (bytes damaged on disk crashed every later run;
 * a cache of a bundle of the same length, left by an upgrade, would run that one's code).
 * A bundle that cannot be loaded (missing, cut short by an interrupted upgrade) is the check's
 * UNKNOWN with the reason, not Node's stack trace and exit 1, which Nagios reads as WARNING. Once
 * the check's own guard is up (lib/plugin/runner.ts, guardProcess) it takes this one off.
 */
/**
 * The stub's expression for its command's cache file. The shared poll cycle's run (`microk8s-checks
 * cycle`) compiles other code than `all`: a cache each, or whichever ran first would leave the
 * other's out for good.
 */
const cacheName = (command) =>
  command === 'microk8s-checks' ? "process.argv[2] === 'cycle' ? 'microk8s-checks-cycle' : 'microk8s-checks'" : JSON.stringify(command);

const loadStub = (command, name) => `// ${command}: runs ${bundleOf(command)} for ${command}; see build.mjs, loadStub.
import { createHash } from 'node:crypto';
import { closeSync, constants as fs, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script, constants } from 'node:vm';
const FIX = ${JSON.stringify(REINSTALL_FIX)};
const guard = (err) => {
  const why = String(err?.message ?? err).split('\\n')[0];
  const said = why.replace(/[\\u0000-\\u001f\\u007f]/g, ' ').replaceAll('|', '\\u00a6').slice(0, 300);
  process.stdout.write(\`${name} UNKNOWN - cannot load ${command}: \${said} (fix: \${FIX})\\n\`, () => process.exit(3));
};
process.on('uncaughtException', guard);
globalThis[Symbol.for('microk8s-checks.load-guard')] = guard;
globalThis[Symbol.for('microk8s-checks.command')] = ${JSON.stringify(command)};
const suite = join(dirname(fileURLToPath(import.meta.url)), ${JSON.stringify(bundleOf(command))});
let source;
let made;
try {
  const fd = openSync(suite);
  const s = fstatSync(fd);
  // The bundle file, as the cache names it: one replaced by an upgrade is another.
  made = \`\${s.dev}:\${s.ino}:\${s.size}:\${s.mtimeMs}\`;
  // ASCII (the build's charset): as latin1, V8 keeps a large source outside its heap.
  source = readFileSync(fd, 'latin1');
  closeSync(fd);
} catch (err) {
  guard(err);
}
const dir = process.env.MICROK8S_CHECKS_CODE_CACHE;
const file = dir ? join(dir, ${cacheName(command)}) : undefined;
// A cache: how many checks the run that made it judged (0 to 255); the SHA-256 of that byte, the
// bundle file's name above and V8's data; V8's data.
const digest = (judged, data) => createHash('sha256').update(made).update(Buffer.of(judged)).update(data).digest();
let cached;
if (file && source !== undefined)
  try {
    // Never a FIFO's open that waits, nor a symlink followed.
    const fd = openSync(file, fs.O_RDONLY | fs.O_NOFOLLOW | fs.O_NONBLOCK);
    try {
      const s = fstatSync(fd);
      if (s.isFile() && s.uid === process.geteuid() && (s.mode & 0o022) === 0) {
        const b = readFileSync(fd);
        if (b.length > 33 && digest(b[0], b.subarray(33)).equals(b.subarray(1, 33)))
          cached = { judged: b[0], data: b.subarray(33) };
      }
    } finally {
      closeSync(fd);
    }
  } catch {}
let script;
if (source !== undefined)
  try {
    script = new Script(source, {
      filename: suite,
      cachedData: cached?.data,
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
  } catch (err) {
    guard(err);
  }
if (script) {
  if (file)
    process.once('exit', () => {
      // Nothing here may change what the run said or its exit code: a cache not written is none.
      try {
        const judged = Math.min(255, globalThis[Symbol.for('microk8s-checks.judged')]?.size ?? 0);
        if (cached && !script.cachedDataRejected && judged <= cached.judged) return;
        const data = script.createCachedData();
        const head = judged;
        const temp = \`\${file}.\${process.pid}.\${Math.random().toString(36).slice(2)}\`;
        try {
          writeFileSync(temp, Buffer.concat([Buffer.of(head), digest(head, data), data]), { mode: 0o600, flag: 'wx' });
          renameSync(temp, file);
        } catch {
          rmSync(temp, { force: true });
        }
      } catch {}
    });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(suite), module, suite, dirname(suite));
}
`;
for (const { command, name } of [...REGISTRY, { command: 'microk8s-checks', name: 'MICROK8S-CHECKS' }])
  writeFileSync(`dist/microk8s-checks.d/${command}.mjs`, loadStub(command, name));
const id = buildId('dist/microk8s-checks.d');
for (const { command, name } of REGISTRY) {
  writeFileSync(`dist/${command}`, launcher(command, name, id));
  chmodSync(`dist/${command}`, 0o755);
}
// What make install copies; the metafile is what the build guard test reads.
writeFileSync('dist/CHECKS', `${REGISTRY.map((e) => e.command).join('\n')}\n`);
writeFileSync('.build/meta.json', JSON.stringify(metafile));
writeFileSync('dist/microk8s-checks', launcher('microk8s-checks', 'MICROK8S-CHECKS', id));
chmodSync('dist/microk8s-checks', 0o755);
console.log(`built ${REGISTRY.length} checks and microk8s-checks into dist/`);
