import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** Network namespaces need root and a kernel that allows them; say why when they cannot be had. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespace tests skipped';
  const probe = `mk8sprobe${randomBytes(3).toString('hex')}`;
  const r = spawnSync('ip', ['netns', 'add', probe]);
  if (r.status !== 0) return `ip netns add failed: ${String(r.stderr).trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/**
 * A test "node": a network namespace joined to the host by a veth pair (host side .1, node side
 * .2 of a /30), so a server on the host is reachable from inside, with its own routing table.
 */
export class TestNode {
  readonly name = `mk8s${randomBytes(4).toString('hex')}`;
  readonly hostIf = `mk8h${randomBytes(4).toString('hex')}`;
  readonly hostIp: string;
  readonly nodeIp: string;
  private peers = 0;

  constructor() {
    const n = 1 + (randomBytes(1)[0]! % 250);
    this.hostIp = `10.250.${n}.1`;
    this.nodeIp = `10.250.${n}.2`;
    ip('netns', 'add', this.name);
    ip('link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.name);
    ip('addr', 'add', `${this.hostIp}/30`, 'dev', this.hostIf);
    ip('link', 'set', this.hostIf, 'up');
    ip('-n', this.name, 'addr', 'add', `${this.nodeIp}/30`, 'dev', 'eth0');
    ip('-n', this.name, 'link', 'set', 'eth0', 'up');
    ip('-n', this.name, 'link', 'set', 'lo', 'up');
  }

  /**
   * A calico-style pod veth inside the node, and the pod's host route through it: in the main
   * table, or in another (calico's WireGuard table is "1"; "local" makes it a local route there),
   * with a metric where given.
   */
  podRoute(podIp: string, iface: string, table = 'main', metric?: number): void {
    if (!this.hasLink(iface)) {
      ip('-n', this.name, 'link', 'add', iface, 'type', 'veth', 'peer', 'name', `pod${this.peers++}`);
      ip('-n', this.name, 'link', 'set', iface, 'up');
    }
    const family = podIp.includes(':') ? '-6' : '-4';
    if (table === 'local') ip('-n', this.name, family, 'route', 'add', 'local', podIp, 'dev', iface, 'table', 'local');
    else {
      const priority = metric === undefined ? [] : ['metric', String(metric)];
      ip('-n', this.name, family, 'route', 'add', podIp, 'dev', iface, 'scope', 'link', 'table', table, ...priority);
    }
  }

  blackhole(cidr: string): void {
    ip('-n', this.name, 'route', 'add', 'blackhole', cidr, 'proto', '80');
  }

  private hasLink(iface: string): boolean {
    return spawnSync('ip', ['-n', this.name, 'link', 'show', iface]).status === 0;
  }

  destroy(): void {
    spawnSync('ip', ['link', 'del', this.hostIf]);
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}
