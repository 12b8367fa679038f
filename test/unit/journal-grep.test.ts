// What journalctl is asked to match when the journal checks of one run share a pass: each
// alternative once (the gate's grep holds dqlite-lock's and kine-retries'); a pattern whose
// alternatives cannot be told apart safely is kept whole. (What the joined pattern matches in a
// real journal: test/e2e/journal-share.test.ts.)
import { describe, expect, it } from 'vitest';
import { KINE_GREP } from '../../checks/kine-retries.ts';
import { LOCKED } from '../../checks/dqlite-lock.ts';
import { KUBELITE_START_GREP } from '../../lib/logs/kubelite-start.ts';
import { reasonOf } from '../../lib/errors.ts';
import { journalProblem } from '../../lib/sources/journalctl.ts';
import { joinGreps } from '../../lib/sources/journal-share.ts';

describe('joinGreps', () => {
  it("names each of the journal checks' alternatives once", () => {
    const joined = joinGreps([LOCKED, KINE_GREP, `${LOCKED}|${KINE_GREP}|${KUBELITE_START_GREP}`]);
    expect(joined).toBe(`${LOCKED}|${KINE_GREP}|${KUBELITE_START_GREP}`);
  });
  it('splits at a | only outside classes and escapes', () => {
    expect(joinGreps(['a[|]b|c', 'x\\|y', '[]|]w|c', '[^]|]v'])).toBe('a[|]b|c|x\\|y|[]|]w|[^]|]v');
  });
  it('keeps whole a pattern with a group, an inline option, \\Q or a POSIX class', () => {
    for (const g of ['(?:p|q)r', '(?s)a|b', '\\Qa|b\\E', '[[:digit:]]|x', '\\c|x']) expect(joinGreps([g, 'other'])).toBe(`(?:${g})|other`);
  });
  it('keeps whole a pattern with an empty alternative (it matches every message)', () => {
    expect(joinGreps(['a|', 'b'])).toBe('(?:a|)|b');
  });
});

// journalctl without journal access says so on stderr and exits 0: the fix is journald's group for
// the user it ran as, over SSH the login (it named nagios whoever ran it).
describe('journalProblem', () => {
  const stderr = 'Hint: You are currently not seeing messages from other users and the system.\n';
  it('names the SSH login, or a uid as having no name usermod takes', () => {
    expect(reasonOf(journalProblem(stderr, 0, { login: 'icinga' }))).toBe(
      'cannot read the journal: Hint: You are currently not seeing messages from other users and the system. ' +
        '(fix: add user icinga to the group systemd-journal, which may read the journal: sudo usermod -aG systemd-journal icinga ' +
        'there; the next SSH login has the group, nothing to restart)',
    );
    expect(reasonOf(journalProblem(stderr, 0, { login: 'uid 54321' }))).toMatch(
      /\(fix: run the check as a user in the group systemd-journal \(usermod takes no bare uid, and uid 54321 has no name\)\)$/,
    );
  });

  // journalctl's hint as systemd prints it where the journal's ACLs name groups (journalctl.c,
  // access_check_var_log_journal), exit 0: its last line told the reader to pass -q.
  it('says the hint itself, not its last line (Pass -q ...), of a journal it may not read', () => {
    const hint =
      'Hint: You are currently not seeing messages from other users and the system.\n' +
      "      Users in groups 'adm', 'systemd-journal' can see all messages.\n" +
      '      Pass -q to turn off this notice.\n';
    expect(reasonOf(journalProblem(hint, 0, { login: 'nagios' }))).toMatch(
      /^cannot read the journal: Hint: You are currently not seeing messages from other users and the system\. \(fix: add user nagios /,
    );
    // No file opened at all: journalctl's own error follows the hint, and is said.
    const none = `${hint}No journal files were opened due to insufficient permissions.\n`;
    expect(reasonOf(journalProblem(none, 1, { login: 'nagios' }))).toMatch(
      /^cannot read the journal: No journal files were opened due to insufficient permissions\. \(fix: add user nagios /,
    );
  });

  it("a login shell's 127 for a journalctl it did not find (dash, bash, zsh, busybox): not there, with what to install", () => {
    const missing = 'journalctl not found there (fix: install systemd (journalctl) there, in the PATH an SSH command gets)';
    for (const said of [
      'sh: 1: journalctl: not found',
      'bash: line 1: journalctl: command not found',
      'zsh:1: command not found: journalctl',
      'sh: journalctl: not found',
    ])
      expect(reasonOf(journalProblem(`${said}\n`, 127, {})), said).toBe(missing);
    // Another command's 127 (journalctl itself a wrapper that lost its target) is not taken for journalctl's absence.
    expect(reasonOf(journalProblem('/usr/local/bin/journalctl: 2: exec: /opt/x: not found\n', 127, {}))).toMatch(
      /^journalctl failed \(exit 127\)/,
    );
  });
});
