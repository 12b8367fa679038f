// Bundles the checks into dist/microk8s-checks.d/ (one module per check plus shared chunks: fast start-up, no node_modules at
// run time) and writes dist/<command>, a POSIX sh launcher (launcher.mjs) that finds a Node >= 22 runtime.
import { build } from 'esbuild';
// Exact versions in package.json: these plugins match on dependencies' file paths and import
// names, which a minor release may move (test/unit/build.test.ts fails then, instead of start-up
// silently growing).
import { deferHelpLayout, deferUndici, requireBuiltins, treeShakeClientNode } from './build-plugins.mjs';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { launcher } from './launcher.mjs';
// The one list of checks (plain data; Node strips its types, and no check is loaded here).
import { REGISTRY } from './checks/registry.ts';

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
const result = await build({
  metafile: true,
  entryPoints: entries,
  bundle: true,
  splitting: true,
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
  plugins: [requireBuiltins, deferHelpLayout, deferUndici, treeShakeClientNode],
  logLevel: 'warning',
});
for (const { command, name } of REGISTRY) {
  writeFileSync(`dist/${command}`, launcher(command, name));
  chmodSync(`dist/${command}`, 0o755);
}
// What make install copies; the metafile is what the build guard test reads.
writeFileSync('dist/CHECKS', `${REGISTRY.map((e) => e.command).join('\n')}\n`);
writeFileSync('.build/meta.json', JSON.stringify(result.metafile));
writeFileSync('dist/microk8s-checks', launcher('microk8s-checks', 'MICROK8S-CHECKS'));
chmodSync('dist/microk8s-checks', 0o755);
console.log(`built ${REGISTRY.length} checks and microk8s-checks into dist/`);
