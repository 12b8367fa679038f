/**
 * A shell function `me` for a script run over SSH that a fix must name its user in: one line,
 * `user <name>` as the shell there runs (id -un), or `uid <n>` where that host's passwd database
 * has no name for it, or `user` alone without id there. Said by the script that read, so it is
 * the user that was denied; nothing is written into the script.
 */
export const ME =
  'me() { u=$(id -un 2>/dev/null) && printf "user %s\\n" "$u" || { u=$(id -u 2>/dev/null) && printf "uid %s\\n" "$u"; } || echo user; }';

/**
 * The user a `me` line names, as lib/files.ts names one ('uid N' without a passwd name: setfacl
 * takes the number, usermod nothing); without one, the login the connection asked for
 * (--ssh-user, else this user's name).
 */
export function loginOf(line: string | undefined, login: string): string {
  const m = /^(user|uid) ?(\S*)$/.exec(line?.trim() ?? '');
  if (!m?.[2]) return login;
  // Printed in a command for the reader to run: only a name useradd would make (or a number).
  if (m[1] === 'uid') return /^\d+$/.test(m[2]) ? `uid ${m[2]}` : login;
  return USER_NAME.test(m[2]) ? m[2] : login;
}

/** A user name as shadow-utils' useradd accepts it (its portable form, a trailing $ for machine accounts). */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;
