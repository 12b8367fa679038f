// npm run bench reads its journal as a node's own, in a mount namespace of its own with a tmpfs on
// /var/log (bench/own-journal.mjs). What it installs first (bench/run.mjs, need()) is the host's:
// installed in there, the package's files under /var/log, its postinst's journal directory and
// dpkg's and apt's own logs of the install went to the tmpfs, and were gone with it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const TOOLS = ['sh', 'unshare', 'mount', 'journalctl', 'kubectl'];
const which = (tool: string) => ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => join(d, tool)).find(existsSync);
const usable = process.getuid?.() === 0 && existsSync('/etc/machine-id') && TOOLS.every(which);

describe.skipIf(!usable)('npm run bench as root', () => {
  it("installs what it lacks on the host, never in the bench's own mount namespace", () => {
    // A PATH without jq, and an apt-get that says in which mount namespace it ran, then fails.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-bench-'));
    const bin = join(dir, 'bin');
    const seen = join(dir, 'apt-get-namespace');
    mkdirSync(bin);
    for (const tool of TOOLS) symlinkSync(which(tool)!, join(bin, tool));
    writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\n/usr/bin/readlink /proc/self/ns/mnt >'${seen}'\nexit 1\n`);
    chmodSync(join(bin, 'apt-get'), 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
    delete env.MICROK8S_CHECKS_BENCH_OWN_JOURNAL;
    const r = spawnSync(process.execPath, [join(ROOT, 'bench/run.mjs')], { env, encoding: 'utf8' });
    expect(r.stdout).toContain('installing jq');
    expect(readFileSync(seen, 'utf8').trim()).toBe(readlinkSync('/proc/self/ns/mnt'));
  });
});

describe.skipIf(!usable)("the bench's own mount namespace", () => {
  it("is entered by the bench itself: its marker inherited, or set by hand, never mounts over the caller's /var/log", () => {
    // Run in a mount namespace of this test's own, which stands for the host's here.
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-bench-'));
    const script = join(dir, 'enter.mjs');
    writeFileSync(
      script,
      `import { enterOwnJournalNamespace } from '${join(ROOT, 'bench/own-journal.mjs')}';\nenterOwnJournalNamespace();\n`,
    );
    const r = spawnSync(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        '"$0" "$1" && { findmnt -n -o FSTYPE --mountpoint /var/log || echo none; }',
        process.execPath,
        script,
      ],
      { env: { ...process.env, MICROK8S_CHECKS_BENCH_OWN_JOURNAL: '1' }, encoding: 'utf8' },
    );
    expect([r.status, r.stdout]).toEqual([0, 'none\n']);
  });
});
