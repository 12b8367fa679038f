// Command lines as a hurried or hostile user writes them: each is one UNKNOWN line that says what
// was wrong and points at it, exit 3, nothing looked at.
import { describe, expect, it } from 'vitest';
import { runBuilt } from '../helpers/run.ts';

describe('all, its command eaten by an option', () => {
  it('`-n all`, `--host all`, `-t all`: the option that took `all` is named, and the fix puts the command first', async () => {
    for (const [flag, value] of [
      ['-n', 'all'],
      ['--host', 'all'],
      ['--kubeconfig', 'all'],
      ['-t', 'all'],
    ] as const) {
      const r = await runBuilt('microk8s-checks', [flag, value, '--snap-data', '/nonexistent/snap']);
      expect(r.code, flag).toBe(3);
      expect(r.stdout, flag).toBe(
        `MICROK8S-CHECKS UNKNOWN - no command: ${flag} took 'all' as its value ` +
          `(fix: give the command first, then the option with its value: microk8s-checks all ${flag} VALUE)\n`,
      );
    }
    // Nothing eaten: no command at all is still said plainly.
    const none = await runBuilt('microk8s-checks', ['-t', '5']);
    expect(none.stdout).toBe('MICROK8S-CHECKS UNKNOWN - say what to run: microk8s-checks all (fix: see microk8s-checks --help)\n');
  });
});
