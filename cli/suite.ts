// The one bundle every command runs (build.mjs): its launcher's stub names the command, and only
// that command's modules are evaluated (the others' stay unevaluated in the bundle).
import { REGISTRY } from '../checks/registry.ts';
import { runCheck } from '../lib/plugin/runner.ts';

const command = (globalThis as Record<symbol, unknown>)[Symbol.for('microk8s-checks.command')];
const entry = REGISTRY.find((e) => e.command === command);
if (command === 'microk8s-checks') void import('./microk8s-checks.ts');
else if (entry) void entry.load().then(({ check }) => runCheck(check));
else throw new Error(`no command ${String(command).slice(0, 60)} in this bundle`);
