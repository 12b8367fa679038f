// The runbook's `kubectl delete job --field-selector=status.conditions[0].type=Complete` fails on
// a real API server (Jobs only select on metadata.name, metadata.namespace, status.successful),
// and conditions[0] is often not the terminal one: this clean-up names the finished Jobs by their
// True Complete or Failed condition instead, and is listed before anything is deleted. It takes
// only what the check counted: Jobs that finished by the cutoff (completionTime, else the
// condition's lastTransitionTime, as lib/k8s/jobs.ts dates them), compared as RFC 3339 strings in
// UTC, which sort in time order; and with the check's label selector, where it had one.

/** A time as the API server writes it: RFC 3339 in UTC, whole seconds. */
export const apiStamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The long output's clean-up of the Jobs in namespace `ns` finished by `cutoff` (ms), and how to keep them from piling up. */
export function jobCleanup(ns: string, cutoff: number, selector?: string): string[] {
  const by = apiStamp(cutoff);
  const labels = selector ? ` -l '${selector.replace(/'/g, `'\\''`)}'` : '';
  // Long output may not hold '|' (Nagios reads it as perfdata), so the command has no pipe. A
  // condition without a time is skipped (`le` on nothing fails the whole template).
  const names =
    `kubectl -n ${ns} get jobs${labels} -o go-template='{{range $j := .items}}{{range $j.status.conditions}}` +
    `{{if and (eq .status "True") (or (eq .type "Complete") (eq .type "Failed"))}}{{$t := .lastTransitionTime}}` +
    `{{if and (eq .type "Complete") $j.status.completionTime}}{{$t = $j.status.completionTime}}{{end}}` +
    `{{if $t}}{{if le $t "${by}"}}{{$j.metadata.name}} {{end}}{{end}}{{end}}{{end}}{{end}}'`;
  return [
    `Delete them to cut dqlite's write load, namespace by namespace (these take the Jobs counted, finished by ${by}); ` +
      'list first and keep one-off migration Jobs you need:',
    `  ${names}`,
    `  kubectl -n ${ns} delete job $(${names})`,
    'For good: set ttlSecondsAfterFinished on Jobs and lower CronJob history limits.',
  ];
}
