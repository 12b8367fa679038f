// Bundles the checks into dist/microk8s-checks.d/ (one module per check plus shared chunks: fast start-up, no node_modules at
// run time) and writes dist/<command>, a POSIX sh launcher (launcher.mjs) that finds a Node >= 22 runtime.
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

// One build for all checks: code they share (client-node, ssh2) lands in shared chunks, and what a
// check loads only on demand (SSH for --host) stays out of its start-up.
const entries = {};
rmSync('.build', { recursive: true, force: true });
mkdirSync('.build', { recursive: true });
for (const { file, command } of REGISTRY) {
  writeFileSync(
    `.build/${command}.ts`,
    `import { check } from '../checks/${file}.ts';\nimport { runCheck } from '../lib/plugin/runner.ts';\nvoid runCheck(check);\n`,
  );
  entries[command] = `.build/${command}.ts`;
}
entries['microk8s-checks'] = 'cli/microk8s-checks.ts';
// check_apiserver run alone (NRPE without --cycle, by hand; in a shared run it is one module of
// microk8s-checks' bundle). esbuild gives an entry every chunk holding a module of a file it imports,
// used or not (chunks follow files, not the parts used), so through client-node's index it would
// load the 2 MB chunk of generated APIs the other checks call and it never does. Bundled on its
// own it loads half as much: 0.48 against 0.35 CPU-s a run, measured (bench/RESULTS.md).
const ALONE = ['check_apiserver'];
const common = {
  metafile: true,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  outdir: 'dist/microk8s-checks.d',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  // CommonJS dependencies (ssh2, pino) expect require and __dirname.
  banner: {
    js:
      "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } " +
      "from 'node:url'; import { dirname as __dn } from 'node:path'; const require = " +
      '__cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = ' +
      '__dn(__filename);',
  },
  legalComments: 'none',
  minify: true,
  // ssh2's optional native crypto: it falls back to pure JS when the binding is absent.
  external: ['*.node', 'cpu-features'],
  plugins: [requireBuiltins, deferHelpLayout, deferUndici, treeShakeClientNode, noPackageLookup, noArgsert],
  logLevel: 'warning',
};
// Each bundle is `run-<command>.mjs`; what the launcher runs is `<command>.mjs`, a stub beside it
// (loadGuard below).
const bundleOf = (name) => `run-${name}`;
const shared = await build({
  ...common,
  entryPoints: Object.fromEntries(
    Object.entries(entries)
      .filter(([name]) => !ALONE.includes(name))
      .map(([name, entry]) => [bundleOf(name), entry]),
  ),
  splitting: true,
});
const alone = await Promise.all(
  ALONE.map((name) => build({ ...common, entryPoints: { [bundleOf(name)]: entries[name] }, splitting: false })),
);
// One metafile for the build guard: every module of every bundle (a module's imports are the same in each).
const metafile = { inputs: {}, outputs: {} };
for (const r of [shared, ...alone]) {
  Object.assign(metafile.inputs, r.metafile.inputs);
  Object.assign(metafile.outputs, r.metafile.outputs);
}
/**
 * The module the launcher runs: it imports nothing statically, so that a bundle that cannot be
 * loaded (a chunk missing, or files of two versions mixed by an interrupted upgrade) is the
 * check's UNKNOWN with the reason, not Node's stack trace and exit 1, which Nagios reads as
 * WARNING. Once the check's own guard is up (lib/plugin/runner.ts, guardProcess) it takes this one off.
 */
const loadGuard = (command, name) => `// ${command}: loads its bundle (${bundleOf(command)}.mjs); see build.mjs, loadGuard.
const FIX = ${JSON.stringify(REINSTALL_FIX)};
const guard = (err) => {
  const why = String(err?.message ?? err).split('\\n')[0];
  const said = why.replace(/[\\u0000-\\u001f\\u007f]/g, ' ').replaceAll('|', '\\u00a6').slice(0, 300);
  process.stdout.write(\`${name} UNKNOWN - cannot load ${command}: \${said} (fix: \${FIX})\\n\`, () => process.exit(3));
};
process.on('uncaughtException', guard);
globalThis[Symbol.for('microk8s-checks.load-guard')] = guard;
import('./${bundleOf(command)}.mjs').catch(guard);
`;
for (const { command, name } of [...REGISTRY, { command: 'microk8s-checks', name: 'MICROK8S-CHECKS' }])
  writeFileSync(`dist/microk8s-checks.d/${command}.mjs`, loadGuard(command, name));
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
