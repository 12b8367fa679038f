// Stand-ins for what a MicroK8s node has and this machine does not (systemd, the dqlite CLI and
// its backend), printing exactly what the real programs print (see services.test.ts and
// dqlite.test.ts for their formats and the sources they are quoted from).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HealthyNode {
  /** Options for check_dqlite and check_restart_preflight: --dqlite-bin, --backend-dir. */
  dqliteArgs: string[];
  /** Options for check_services: --snap-data of a single control-plane node. */
  servicesArgs: string[];
  /** PATH with the stand-in systemctl first. */
  path: string;
  /** The bin directory holding the stand-ins. */
  bin: string;
  close(): void;
}

/**
 * A node whose MicroK8s services run without a restart (systemctl show answers a healthy block for
 * each unit asked, started five minutes ago: past check_services' --min-uptime), whose $SNAP_DATA
 * is a single control-plane node's (no lock file), and whose dqlite cluster is this one voter,
 * listening, and its leader.
 */
export async function healthyNode(dir = mkdtempSync(join(tmpdir(), 'mk8s-node-'))): Promise<HealthyNode> {
  const bin = join(dir, 'bin');
  const backend = join(dir, 'backend');
  mkdirSync(bin, { recursive: true });
  mkdirSync(backend, { recursive: true });
  // CLOCK_MONOTONIC counts from boot: on a machine up less than that, the boot itself.
  const started = Math.max(1, Number(process.hrtime.bigint() / 1000n) - 300_000_000);
  const snapData = join(dir, 'snap-data');
  mkdirSync(join(snapData, 'var', 'lock'), { recursive: true });
  writeFileSync(
    join(bin, 'systemctl'),
    [
      '#!/bin/sh',
      'units=; for a in "$@"; do [ -n "$units" ] && printf "%s\\n" "$a"; [ "$a" = "--" ] && units=1; done | {',
      'first=1; while read -r u; do [ $first = 1 ] || echo; first=0',
      `printf 'Result=success\\nNRestarts=0\\nExecMainStartTimestampMonotonic=${started}\\n` +
        `Id=%s\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\n` +
        `StateChangeTimestampMonotonic=${started}\\n' "$u"`,
      'done; }',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const voter: Server = createServer((s) => s.destroy());
  await new Promise<void>((ok) => voter.listen(0, '127.0.0.1', ok));
  const address = `127.0.0.1:${(voter.address() as { port: number }).port}`;
  writeFileSync(join(backend, 'cluster.yaml'), `- Address: ${address}\n  ID: 3297041220608546238\n  Role: 0\n`);
  writeFileSync(join(backend, 'info.yaml'), `Address: ${address}\nID: 3297041220608546238\nRole: 0\n`);
  for (const f of ['cluster.crt', 'cluster.key']) writeFileSync(join(backend, f), 'PEM\n');
  // The last argument is the command: `.cluster` prints the members, `.leader` the leader's address
  // (go-dqlite internal/shell/shell.go, processCluster and processLeader).
  writeFileSync(
    join(bin, 'dqlite'),
    `#!/bin/sh\nfor c; do :; done\ncase "$c" in\n.cluster) echo ` +
      `'2dc171858c3155be|${address}|voter' ;;\n.leader) echo '${address}' ;;\nesac\n`,
    { mode: 0o755 },
  );
  return {
    dqliteArgs: ['--dqlite-bin', join(bin, 'dqlite'), '--backend-dir', backend],
    servicesArgs: ['--snap-data', snapData],
    path: `${bin}:${process.env.PATH}`,
    bin,
    close: () => voter.close(),
  };
}
