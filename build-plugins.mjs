// esbuild plugins that keep code a check does not use out of its start-up. Each one was measured
// (bench/RESULTS.md, "Start-up"): together they take the API checks from 0.14 s to under 0.10 s
// before their first request.
import { builtinModules } from 'node:module';
import { dirname } from 'node:path';

/**
 * A plugin that hands `importer`'s imports of `filter` a stand-in module instead: `standIn(path)`
 * is its source, given the real module's path as a JS string to require() on first use. esbuild
 * bundles a require()d module behind a lazy initialiser, so the real one runs only when called.
 */
function deferImports(name, filter, importer, standIn) {
  return {
    name,
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (!args.importer.includes(importer)) return undefined;
        const real = await build.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir });
        if (real.errors.length) return { errors: real.errors };
        return { path: real.path, namespace: name };
      });
      build.onLoad({ filter: /.*/, namespace: name }, (args) => ({
        contents: standIn(JSON.stringify(args.path)),
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
    },
  };
}

/**
 * yargs needs cliui and string-width only to lay out --help, but evaluating them builds Unicode
 * property regexes and an Intl.Segmenter (about 18 ms). yargs calls both as plain functions, so
 * a stand-in that requires the real module on first call defers that to --help.
 */
export const deferHelpLayout = deferImports(
  'defer-help-layout',
  /^(cliui|string-width)$/,
  '/node_modules/yargs/',
  (real) => `let real;\nexport default function deferred(...a) {\n  real ??= require(${real}).default;\n  return real(...a);\n}\n`,
);

/**
 * `import http from 'node:http'` makes Node build an ES module facade that reads every export,
 * and node:http's lazy WebSocket getters then load Node's own copy of undici (about 10 ms) that
 * nothing here uses. require() hands over the module object without reading its properties.
 */
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
export const requireBuiltins = {
  name: 'require-builtins',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/0-9]+$/ }, (args) =>
      // The stand-in's own require() stays external: the runtime's module.
      builtins.has(args.path) && args.namespace !== 'builtin' ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * @kubernetes/client-node does not declare itself free of side effects, so esbuild keeps every
 * module its index re-exports (exec, attach, cp with tar, port-forward with ws, informers...).
 * Its modules only declare things; the one import kept for its effect, polyfill.js, sets a
 * global File for Node 18 that Node >= 20 already has. Marking them side-effect free lets esbuild
 * drop what the checks never reach (about 13 ms).
 */
export const treeShakeClientNode = {
  name: 'tree-shake-client-node',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'tree-shake-client-node') return undefined;
      if (!args.path.startsWith('@kubernetes/client-node') && !args.importer.includes('/@kubernetes/client-node/')) return undefined;
      const real = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'tree-shake-client-node',
      });
      if (real.errors.length || real.external || !real.path.includes('/@kubernetes/client-node/')) return undefined;
      return { ...real, sideEffects: false };
    });
  },
};

/**
 * client-node imports undici at its top (fetch, Agent, ProxyAgent) for a transport the checks
 * replace (lib/sources/kube/transport.ts), and evaluating undici with the built-ins it needs
 * (http2, zlib, ...) is a third of an API check's start-up. Stand-ins require the real undici on
 * first use, so it is bundled but only runs if something still calls it.
 */
export const deferUndici = deferImports('defer-undici', /^undici$/, '/@kubernetes/client-node/', (real) =>
  [
    `let real;`,
    `const undici = () => (real ??= require(${real}));`,
    `export function fetch(...a) { return undici().fetch(...a); }`,
    `export class Agent { constructor(...a) { return new (undici().Agent)(...a); } }`,
    `export class ProxyAgent { constructor(...a) { return new (undici().ProxyAgent)(...a); } }`,
  ].join('\n'),
);

/**
 * Every yargs() call guesses a version for --version: it lists the working directory and each one
 * above it until it finds a package.json, and parses that file (the bundle is not under
 * node_modules, so yargs starts from the working directory). Every parser here sets its own
 * version, so the guess is never shown, yet `all` makes two parsers per check: 27 directory walks,
 * 40-50 ms of its CPU in the bench, and far more run from a large directory (/tmp, a home). Its
 * one other use, pkgConf(), is not called. The stand-in finds nothing: yargs then guesses
 * 'unknown' without touching the disk.
 */
export const noPackageLookup = {
  name: 'no-package-lookup',
  setup(build) {
    build.onResolve({ filter: /^escalade\/sync$/ }, (args) =>
      args.importer.includes('/node_modules/yargs/') ? { path: args.path, namespace: 'no-package-lookup' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-package-lookup' }, () => ({
      contents: 'export default function findNothing() {\n  return undefined;\n}\n',
      loader: 'js',
    }));
  },
};

/**
 * yargs checks the arguments of its own API calls at run time (argsert): each .option() call
 * parses a signature string, only to print a warning to the developer on a wrong call. `all`
 * builds a parser per check, some 400 such calls a run: 15 ms of its CPU in the bench
 * (bench/RESULTS.md). The calls are the checks' own, type-checked at build time; the stand-in
 * checks nothing and prints nothing.
 */
export const noArgsert = {
  name: 'no-argsert',
  setup(build) {
    build.onResolve({ filter: /^\.\/argsert\.js$/ }, (args) =>
      args.importer.includes('/node_modules/yargs/') ? { path: args.path, namespace: 'no-argsert' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-argsert' }, () => ({
      contents: 'export function argsert() {}\n',
      loader: 'js',
    }));
  },
};
