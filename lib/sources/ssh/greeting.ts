// A login that prints before the command's output over SSH (a .bashrc's echo, a ForceCommand
// that greets and then runs the command) puts its lines in front of every answer read there.
// Readers that cannot tell them from the answer refuse it, and say how to silence the login.

/** The fix for an answer read over SSH that begins with something no command printed. */
export const quietShell = (host: string): string => `keep the shell on ${host} quiet for commands run over SSH (.bashrc, a ForceCommand)`;

/**
 * A one-line answer and what came before it: its last line is the command's, and the lines before
 * it (with their line ends) a login's greeting, '' for none.
 */
export function lastLine(text: string): { line: string; greeting: string } {
  const printed = text.trimEnd();
  const cut = printed.lastIndexOf('\n') + 1;
  return { line: printed.slice(cut), greeting: printed.slice(0, cut) };
}
