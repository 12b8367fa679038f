import { inOrder } from '../in-order.ts';
import type { Deadline } from '../plugin/deadline.ts';
import type { CommandRunner } from './command.ts';
import { DQLITE_COMMANDS, DQLITE_DATABASE, DqliteError, type CliPlan } from './dqlite.ts';

/**
 * The values of one column in the dqlite CLI's answer to a SELECT, read by the column's name.
 * The CLI prints a SELECT in two ways, and which one never follows from a MicroK8s release:
 * - v1 (go-dqlite 1.x, internal/shell/shell.go processSelect): the rows only, cells joined by
 *   '|', no header. Only a query that asks for one column can be read without names: its rows
 *   are that column.
 * - v2.0.0 on ("feat: tab writer", go-dqlite#314; v3 internal/shell/shell.go processQuery): a
 *   header row of column names, then the rows, through text/tabwriter padding with tabs, each
 *   cell followed by one or more tabs.
 * Anything else (an "Error: ..." line, a header without the column) is refused, never guessed at.
 */
export function columnValues(out: string, column: string, asked: string): string[] {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ? cells(lines[0]) : [];
  const at = header.indexOf(column);
  if (at >= 0) return lines.slice(1).map((l) => cells(l)[at] ?? '');
  if (lines.length && lines.every((l) => !/[\t|]/.test(l.trim()))) return lines.map((l) => l.trim());
  throw new DqliteError(`the dqlite CLI answered '${out.trim().slice(0, 60)}' to ${asked}: no ${column} column`);
}

/** A tabwriter row's cells: text between runs of tabs, the empty cell after the last tab dropped. */
const cells = (line: string) => line.trim().split(/\t+/);

/** The one count a `SELECT <column> FROM pragma_<column>()` answers. */
export function countIn(out: string, column: string, asked: string): number {
  const values = columnValues(out, column, asked);
  if (values.length !== 1 || !/^\d+$/.test(values[0]!))
    throw new DqliteError(`the dqlite CLI answered '${out.trim().slice(0, 60)}' to ${asked}: not one ${column} count`);
  return Number(values[0]);
}

/**
 * The share of free pages in the database, as two read-only SELECTs of the pragmas' table-valued
 * functions (a bare PRAGMA fails in the CLI with "another row available"). The CLI opens (and
 * creates) whatever database it is given: a wrong --database reads as an empty one, so one that
 * holds no data is refused by name rather than judged "0% free".
 */
export async function askFreePages(
  run: CommandRunner,
  deadline: Deadline,
  plan: Extract<CliPlan, { asked: true }>,
  database: string,
): Promise<{ pages: number; free: number }> {
  const signal = deadline.signal;
  const ask = async (command: 'pageCount' | 'freelistCount', column: string) => {
    try {
      return countIn(await run(plan.argv(command), signal), column, DQLITE_COMMANDS[command]);
    } catch (err) {
      if (signal.aborted || err instanceof DqliteError) throw err;
      throw new DqliteError(`the dqlite CLI did not answer ${DQLITE_COMMANDS[command]}`, { cause: err });
    }
  };
  // Both failing, the reason is page_count's, asked first, whichever answered first.
  const [pages, free] = await inOrder([ask('pageCount', 'page_count'), ask('freelistCount', 'freelist_count')], deadline);
  if (pages <= 1)
    throw new DqliteError(`database '${database}' holds no data (page_count ${pages})`, {
      fix: `check --database (k8s-dqlite's is ${DQLITE_DATABASE})`,
    });
  return { pages, free };
}
