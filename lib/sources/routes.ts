import { ReasonedError } from '../errors.ts';
import type { CommandRunner } from './command.ts';

/** One kernel route as `ip -j route show` prints it. */
export interface Route {
  dst: string;
  dev?: string;
  type?: string;
  gateway?: string;
}

export class RouteError extends ReasonedError {}

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
 * `ip -j route show` through a runner, so the same code reads a remote node over SSH.
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
      if (bits === (v6 ? 128 : 32)) this.hosts.set(canonicalIp(m[1]!), r);
      else if (r.type === 'blackhole') this.blackholes.push({ route: r, net: ipBits(m[1]!), bits, v6 });
    }
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

export async function readRoutes(run: CommandRunner, signal: AbortSignal): Promise<RouteTable> {
  const routes: Route[] = [];
  for (const family of ['-4', '-6']) {
    let text: string;
    try {
      text = await run(['ip', family, '-j', 'route', 'show'], signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new RouteError('cannot read the routing table', { cause: err, fix: 'install iproute2 (ip) with JSON output' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.trim() || '[]');
    } catch (err) {
      throw new RouteError(`ip ${family} -j route show printed no JSON`, { cause: err, fix: 'use iproute2 4.14 or newer' });
    }
    if (!Array.isArray(parsed)) throw new RouteError(`ip ${family} -j route show printed no list`);
    for (const r of parsed as Route[]) if (typeof r?.dst === 'string') routes.push(r);
  }
  return new RouteTable(routes);
}
