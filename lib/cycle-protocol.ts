// The shared poll cycle's protocol between the launcher's shell and `microk8s-checks cycle`
// (docs/poll-cycle.md): launcher.mjs writes its shell from these, cli/cycle.ts reads and
// writes by them, so the two cannot drift apart. Plain data, no imports: the build loads it.

/** The launcher's build id (launcher.mjs, buildId), exported by it for the run it starts. */
export const CYCLE_BUILD = 'MICROK8S_CHECKS_BUILD';

/**
 * What besides its command line changes a check's answer, recorded first with each command line
 * by the launcher, in this order: the working directory (a relative --cert or --state-file), where
 * its commands are found, the default kubeconfig and state files, the SSH agent, the local time
 * zone, the CAs Node trusts beside a kubeconfig's own (the launcher keeps them: a caller without
 * the extra CA was served the OK of a run whose extra CA let it in, where alone it is UNKNOWN) and
 * the OpenSSL configuration Node reads (a host's security level: a caller whose TLS refuses the
 * API server's key was served another's OK), and
 * the build that judges it (set by the launcher, never taken from the caller: two installs of one
 * user, a package and a checkout, share the cache, and the polls of one were served the other's
 * verdicts). A run answers only command lines asked for in its own directory and environment.
 */
export const CYCLE_ENVIRONMENT = [
  'PWD',
  'PATH',
  'KUBECONFIG',
  'HOME',
  'XDG_STATE_HOME',
  'SSH_AUTH_SOCK',
  'TZ',
  'NODE_EXTRA_CA_CERTS',
  'NODE_USE_SYSTEM_CA',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'OPENSSL_CONF',
  CYCLE_BUILD,
];

/**
 * An answer file: a head line "<ANSWER_MAGIC> <boot id> <begun, boot clock cs> <exit code> <format>
 * <lines>", the pending state file and where it goes (or two empty lines), the output, and
 * "<ANSWER_END> <key>" last: a file cut short is never served. The launcher serves no other magic.
 */
export const ANSWER_MAGIC = 'microk8s-checks-answer/2';

/**
 * The format an answer names for Nagios text whose --max-long-output has no room for the line that
 * says its age (0, the first line alone, or fewer bytes than AGE_LINE_ROOM): served as it is,
 * without that line, as no other but `nagios` is.
 */
export const FIRST_LINE_ONLY = 'first-line';

/** The second line of a Nagios answer served: its age in seconds (one decimal) and the caller's --cycle. */
export const ageLine = (age: string, seconds: string): string => `answer of the shared poll cycle, ${age}s old (--cycle ${seconds})`;

/**
 * The bytes of --max-long-output a served answer keeps for its age line (with its line break):
 * as wide as it gets (an answer is served within --cycle, at most an hour, of its run's start,
 * to a caller that waited at most its -t, an hour too), so a served answer keeps to the budget.
 */
export const AGE_LINE_ROOM = ageLine('99999.9', '3600').length + 1;
export const ANSWER_END = 'end';

/**
 * The boot id a launcher writes over its record's own, in place, when it stops waiting and runs its
 * check alone (the nil UUID, never a boot's): a run then counts it among the launchers of another
 * boot, waiting for nothing, and charges its line none of its -t. The record's command line and key
 * stay: the line is still asked for.
 */
export const NOT_WAITING = '00000000-0000-0000-0000-000000000000';
