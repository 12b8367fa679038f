// The command line of the project's own scripts (npm run demo, npm run test-api), read as a check
// reads its own: -h/--help prints the usage, a mistyped option is one line naming it (exit 2),
// never Node's stack trace of parseArgs.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function scriptArgs<const O extends Options>(name: string, usage: string, options: O) {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options }).values;
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message} (usage: ${usage.split('\n')[0]})\n`);
    process.exit(2);
  }
}
