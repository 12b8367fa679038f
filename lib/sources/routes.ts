import { ReasonedError } from '../errors.ts';
import type { CommandRunner } from './command.ts';
import { shorten } from '../text.ts';
import { quietShell } from './ssh/greeting.ts';

/** One kernel route as `ip -j route show` prints it. */
export interface Route {
  dst: string;
  dev?: string;
  type?: string;
  gateway?: string;
  /** The route's priority: of two to one destination the kernel uses the lower; none is 0 (IPv4's default). */
  metric?: number;
  /** Only with `table all`, and only for a table other than main. */
  table?: string;
}

export class RouteError extends ReasonedError {
  override readonly name = 'RouteError';
}

/** Canonical text of an IP address, so 'fd00:0::5' and 'fd00::5' compare equal. */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/**
 * The host routes (/32, /128) of the main table, IPv4 and IPv6, by destination. Read with
 * `ip -j route show table all` through a runner, so the same code reads a remote node over SSH.
 */
export class RouteTable {
  private readonly hosts = new Map<string, Route>();
  private readonly blackholes: { route: Route; net: bigint; bits: number; v6: boolean }[] = [];

  constructor(routes: Route[]) {
    for (const r of routes) {
      const m = /^([^/]+)(?:\/(\d+))?$/.exec(r.dst);
      if (!m) continue;
      const v6 = m[1]!.includes(':');
      const bits = m[2] === undefined ? (v6 ? 128 : 32) : Number(m[2]);
      if (bits === (v6 ? 128 : 32)) this.keepHost(canonicalIp(m[1]!), r);
      else if (r.type === 'blackhole') this.blackholes.push({ route: r, net: ipBits(m[1]!), bits, v6 });
    }
  }

  /**
   * One route per address: the one the kernel sends by. Another program's route to a pod's /32
   * beside calico's (a VPN's, another CNI's left over) is listed too, by `ip` in the kernel's order
   * or not: the lower metric wins, as in the kernel (the last one listed read a route the kernel
   * does not use, and missed the one it does).
   */
  private keepHost(ip: string, r: Route): void {
    const had = this.hosts.get(ip);
    if (!had || (r.metric ?? 0) < (had.metric ?? 0)) this.hosts.set(ip, r);
  }

  /** The route whose destination is exactly this address, if any. */
  host(ip: string): Route | undefined {
    return this.hosts.get(canonicalIp(ip));
  }

  /** The blackhole block (calico's per-IPAM-block route) an address falls into, if any. */
  blackholeFor(ip: string): Route | undefined {
    const v6 = ip.includes(':');
    const width = v6 ? 128 : 32;
    const addr = ipBits(ip);
    return this.blackholes.find((b) => b.v6 === v6 && addr >> BigInt(width - b.bits) === b.net >> BigInt(width - b.bits))?.route;
  }
}

function ipBits(ip: string): bigint {
  if (!ip.includes(':')) return ip.split('.').reduce((n, part) => (n << 8n) + BigInt(Number(part) & 255), 0n);
  const full = canonicalIp(ip);
  const [head, tail = ''] = full.includes('::') ? full.split('::') : [full, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = full.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

/**
 * One spawn for both families: `ip -4` and `ip -6` took two, and each spawn forks this whole
 * process, a cost `microk8s-checks all` pays at its largest. What makes one read of `table all`
 * the main table of both families is iproute2's ip/iproute.c, these two lines unchanged from the
 * 4.x source (before JSON) through the 5.x ones (Ubuntu 20.04 has 5.5, 22.04 5.15), and seen so
 * with 6.1 (Debian 12, Ubuntu 24.04) in the tests here:
 * - iproute_list_flush_or_save(): `table all` sets filter.tb = 0, and the dump is narrowed to IPv4
 *   only by `if (dump_family == AF_UNSPEC && filter.tb) dump_family = AF_INET;`: without -4/-6,
 *   the kernel is asked for every family in one dump.
 * - print_route(): `if (table && (table != RT_TABLE_MAIN || show_details > 0) && !filter.tb)`
 *   prints the "table" key: without -d, a main-table route has none, every other table's has
 *   its name or number ("local", "1" for calico's WireGuard table, ...).
 */
const ROUTE_ARGV = ['ip', '-j', 'route', 'show', 'table', 'all'];

/** This host's routing table, or (host given) the one of --host, read over SSH by `run`. */
export async function readRoutes(run: CommandRunner, signal: AbortSignal, host?: string): Promise<RouteTable> {
  const command = `${ROUTE_ARGV.join(' ')}${host ? ` on ${host}` : ''}`;
  let text: string;
  try {
    text = await run(ROUTE_ARGV, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new RouteError(`cannot read the routing table${host ? ` of ${host}` : ''}`, {
      cause: err,
      fix: 'install iproute2 (ip) with JSON output',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim() || '[]');
  } catch (err) {
    // Over SSH most often a login shell's greeting (.bashrc, a ForceCommand) before ip's JSON.
    const first = shorten(text.trim().split('\n')[0] ?? '', 60);
    throw new RouteError(`${command} printed no JSON (its first line: '${first}')`, {
      cause: err,
      fix: host ? `${quietShell(host)}, and iproute2 4.14 or newer there` : 'use iproute2 4.14 or newer',
    });
  }
  if (!Array.isArray(parsed)) throw new RouteError(`${command} printed no list`);
  return new RouteTable((parsed as Route[]).filter(inMainTable));
}

/**
 * A route of the main table. Other families the AF_UNSPEC dump brings (MPLS labels) never equal a
 * pod's address, as "default" does not either: only the table decides. A kernel without
 * CONFIG_IPV6_MULTIPLE_TABLES keeps IPv6 local routes in main, which `ip -6 route show` hid
 * (filter_nlmsg()): they are the host's own addresses, never a pod's through its veth.
 */
function inMainTable(r: Route): boolean {
  return typeof r?.dst === 'string' && (r.table === undefined || r.table === 'main');
}
