// README.md is the front door and docs/ holds the contract, one topic a file: every check has its
// paragraph and example in README and its rules in docs/checks/<file>.md, every option a check
// declares is written down there (or in a shared topic that file links to), and every pointer into
// docs/ from the code, the tests and the shipped configuration names a file that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../checks/registry.ts';
import { declared, optionSpecs } from '../../lib/plugin/arguments.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const README = read('README.md');

/** README's section for a heading: from `### heading` to the next heading of that level or above. */
function section(heading: string): string {
  const start = README.indexOf(`\n### ${heading}\n`);
  if (start === -1) return '';
  const rest = README.slice(start + 1);
  const end = rest.slice(4).search(/\n#{1,3} /);
  return end === -1 ? rest : rest.slice(0, end + 4);
}

/** Relative links of a Markdown file, with the file each one resolves to (anchors dropped). */
function links(file: string): { link: string; target: string }[] {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((link) => !/^[a-z]+:/.test(link) && !link.startsWith('#'))
    .map((link) => ({ link, target: relative(ROOT, resolve(ROOT, dirname(file), link.split('#')[0]!)) }));
}

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(dir, f));
}

describe('README and docs/', () => {
  it('README gives every check, and microk8s-checks all, a paragraph, an example of its first line and its docs/checks file', () => {
    const entries = [...REGISTRY, { command: 'microk8s-checks all', file: 'all', name: 'CHECK ' }];
    for (const { command, file, name } of entries) {
      const text = section(command);
      expect(text, `README has no section "### ${command}"`).not.toBe('');
      expect(text, command).toContain(`(docs/checks/${file}.md)`);
      expect(existsSync(join(ROOT, 'docs/checks', `${file}.md`)), `docs/checks/${file}.md`).toBe(true);
      const example = /```console\n\$ (.+)\n(.+)\n/.exec(text);
      expect(example?.[1], `${command}: no console example`).toContain(command);
      expect(example?.[2], command).toMatch(new RegExp(`^${name}`));
    }
  });

  it('documents every option a check declares in its docs/checks file or a topic that file links to', async () => {
    const missing: string[] = [];
    for (const entry of REGISTRY) {
      const file = `docs/checks/${entry.file}.md`;
      const shared = links(file)
        .map((l) => l.target)
        .filter((t) => t.startsWith('docs/') && t !== file);
      const text = [file, ...shared].map(read).join('\n');
      const undocumented = declared(optionSpecs((await entry.load()).check))
        .map((option) => [option.key, ...option.aliases].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)))
        .filter((names) => !names.some((n) => new RegExp(`${n}(?![\\w-])`).test(text)))
        .map((names) => names.join('/'));
      missing.push(...undocumented.map((o) => `${entry.command} ${o} (not in ${[file, ...shared].join(', ')})`));
    }
    expect(missing).toEqual([]);
  });

  it("README and docs/checks give each check's own defaults (-w, -c and the options they name)", async () => {
    const wrong: string[] = [];
    for (const entry of REGISTRY) {
      const { check } = await entry.load();
      const specs = optionSpecs(check);
      const readme = section(entry.command).replace(/```[\s\S]*?```/g, '');
      const page = read(`docs/checks/${entry.file}.md`).replace(/```[\s\S]*?```/g, '');
      // README's first `-w ... -c ...` span is the paragraph's defaults (a later one is an example);
      // a docs/checks page says them as default `-w ... -c ...`.
      const ranges = [
        { where: 'README', span: /`((?:-[wc] [^\s`]+ ?)+)`/.exec(readme)?.[1] },
        ...[...page.matchAll(/default `((?:-[wc] [^\s`]+ ?)+)`/g)].map((m) => ({ where: entry.file, span: m[1] })),
      ];
      for (const { where, span } of ranges)
        for (const [, flag, value] of span?.matchAll(/(-[wc]) (\S+)/g) ?? []) {
          const own = flag === '-w' ? check.defaultWarning : check.defaultCritical;
          if (value !== own) wrong.push(`${entry.command}: ${where} says ${flag} ${value}, its default is ${own ?? 'none'}`);
        }
      for (const [where, text] of [
        ['README', readme],
        [entry.file, page],
      ] as const)
        for (const [, option, value] of text.matchAll(/`(--[a-z-]+)`,?\s+\(?default\s+(\d[\w.]*)/g)) {
          const own = specs.find((o) => `--${o.key}` === option)?.default;
          if (String(own) !== value) wrong.push(`${entry.command}: ${where} says ${option} defaults to ${value}, its default is ${own}`);
        }
    }
    expect(wrong).toEqual([]);
  });

  it('links only to files that exist', () => {
    for (const file of ['README.md', ...markdownFiles('docs')]) {
      for (const { link, target } of links(file)) expect(existsSync(join(ROOT, target)), `${file}: ${link}`).toBe(true);
    }
  });

  it('is what the code, the tests and the shipped configuration point at', () => {
    const sources = ['checks', 'cli', 'lib', 'test', 'bench', 'nrpe', 'prometheus', 'packaging']
      .flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)))
      .concat(readdirSync(ROOT).filter((f) => f.endsWith('.mjs')));
    let pointers = 0;
    for (const file of sources) {
      if (!/\.(ts|mjs|cfg|conf|yaml|yml)$|sudoers\.d\/./.test(file)) continue;
      const text = read(file);
      expect(text, `${file} points into README by section name: name the docs/ file`).not.toMatch(/README(\.md)?,? "/);
      for (const m of text.matchAll(/\bdocs\/[\w/-]+\.md/g)) {
        pointers++;
        expect(existsSync(join(ROOT, m[0])), `${file}: ${m[0]}`).toBe(true);
      }
    }
    expect(pointers).toBeGreaterThan(5);
  });
});
