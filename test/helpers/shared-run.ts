// What the tests of a shared run (`all`, the poll cycle) give every run: a fresh place for what
// checks keep between runs, and a control-plane node's $SNAP_DATA.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh home for what checks keep between runs (restart counts, lease transitions). */
export const freshState = () => ({ ...process.env, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'mk8s-state-')) });

/** $SNAP_DATA of a control-plane node, as far as `all` looks at it (its lock directory). */
export const controlPlane = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-snap-'));
  mkdirSync(join(dir, 'var', 'lock'), { recursive: true });
  return dir;
};
