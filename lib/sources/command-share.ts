import type { CommandRunner } from './command.ts';
import { Kept } from './fan.ts';

/**
 * Commands the checks of one run ask alike, run once and their answer kept for the run: the
 * dqlite CLI's `.cluster` and `.leader`, which check_dqlite, check_leases and the gate each ask.
 * Each asker keeps its own deadline (its signal): it stops waiting then, while the command runs
 * on for the others, and is stopped once no one waits. A failure is every asker's.
 */
export class CommandShare {
  private readonly kept = new Kept();

  /** `base` with its answers shared; `how` tells runners of the same argv apart (plain, under sudo). */
  runner(base: CommandRunner, how: string): CommandRunner {
    return (argv, signal) => this.kept.get(JSON.stringify([how, argv]), { signal }, (fan) => base(argv, fan.signal));
  }
}
