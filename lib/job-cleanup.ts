// The runbook's `kubectl delete job --field-selector=status.conditions[0].type=Complete` fails on
// a real API server (Jobs only select on metadata.name, metadata.namespace, status.successful),
// and conditions[0] is often not the terminal one: this clean-up names the finished Jobs by their
// True Complete or Failed condition instead, and is listed before anything is deleted.

/** The long output's clean-up of finished Jobs in namespace `ns`, and how to keep them from piling up. */
export function jobCleanup(ns: string): string[] {
  // Long output may not hold '|' (Nagios reads it as perfdata), so the command has no pipe.
  const names =
    `kubectl -n ${ns} get jobs -o go-template='{{range $j := .items}}{{range ` +
    `$j.status.conditions}}{{if and (eq .status "True") (or (eq .type "Complete") (eq .type ` +
    `"Failed"))}}{{$j.metadata.name}} {{end}}{{end}}{{end}}'`;
  return [
    `Delete them to cut dqlite's write load, namespace by namespace; list first and keep one-off migration Jobs you need:`,
    `  ${names}`,
    `  kubectl -n ${ns} delete job $(${names})`,
    'For good: set ttlSecondsAfterFinished on Jobs and lower CronJob history limits.',
  ];
}
