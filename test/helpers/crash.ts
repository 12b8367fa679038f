// A process that crashes before any deadline is set, under the plugin core's guard alone
// (lib/plugin/runner.ts, guardProcess), as a check would on a bug or a library's stray 'error'
// event while it starts. Run by test/unit/guard-process.test.ts: crash.ts throw|reject|reject-text|gate [json].
import { render } from '../../lib/plugin/output.ts';
import { guardProcess } from '../../lib/plugin/runner.ts';

const [how = 'throw', format = 'nagios'] = process.argv.slice(2);
guardProcess({ name: 'CRASH', gate: how === 'gate' }, (outcome) => render(outcome, format === 'json' ? 'json' : 'nagios'));
const bug = new TypeError("Cannot read properties of undefined (reading 'items')");
if (how === 'reject') void Promise.reject(bug);
// Some libraries reject with a bare string: Node's own wording for it names no reason a user can act on.
else if (how === 'reject-text') void Promise.reject('socket hang up');
else
  setImmediate(() => {
    throw bug;
  });
