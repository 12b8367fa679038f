import { lookup as nodeLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { spawnTracked } from './children.ts';

/**
 * A host name looked up so that the run can stop the lookup: for every connection to a name
 * (an API server, a --server, an SSH --host, a dqlite member).
 *
 * Node's own lookup is getaddrinfo on libuv's thread pool, and cannot be stopped: with a DNS
 * server that does not answer (a node in trouble, a resolver down), glibc waits 5 s per try and
 * server, and as the process exits libuv waits for every lookup still running. A check printed
 * its UNKNOWN at -t and ended 10 s later (30 s with three nameservers), past NRPE's own timeout.
 * getent asks the same getaddrinfo (the same /etc/hosts, nsswitch.conf and resolvers) in a
 * process of its own, which the run kills as it ends (lib/children.ts). Where getent cannot be
 * run at all, Node's own lookup answers.
 */
export const lookup = ((hostname: string, options: LookupOptions, callback: LookupCallback) => {
  const family = familyOf(options.family);
  if (isIP(hostname)) return process.nextTick(answer, callback, options, [{ address: hostname, family: isIP(hostname) }]);
  let out = '';
  let child: ReturnType<typeof spawnTracked>;
  try {
    // A name never starts an option of getent: -- ends them.
    child = spawnTracked('getent', [family === 6 ? 'ahostsv6' : family === 4 ? 'ahostsv4' : 'ahosts', '--', hostname]);
  } catch {
    return nodeLookup(hostname, options, callback as never);
  }
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (out.length < 64 * 1024) out += d;
  });
  child.stderr.resume();
  child.once('error', () => nodeLookup(hostname, options, callback as never));
  child.once('close', (code) => {
    if (code === null) return callback(lookupError(hostname, 'EAI_AGAIN'), '');
    const seen = new Set<string>();
    const found: LookupAddress[] = [];
    // "ADDRESS STREAM canonical-name", then DGRAM and RAW lines of the same addresses.
    for (const line of out.split('\n')) {
      const address = line.split(/\s+/)[0] ?? '';
      const f = isIP(address);
      if (!f || seen.has(address) || (family && f !== family)) continue;
      seen.add(address);
      found.push({ address, family: f });
    }
    // getent says 2 for a name that is not known, and for a resolver that does not answer alike
    // (any getaddrinfo failure): the message claims neither, where Node's "ENOTFOUND" read as the first.
    if (found.length === 0)
      return callback(lookupError(hostname, 'ENOTFOUND', `cannot resolve ${hostname}: no such name, or no DNS answer`), '');
    answer(callback, options, found);
  });
}) as LookupFunction;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function familyOf(f: LookupOptions['family']): 0 | 4 | 6 {
  return f === 4 || f === 'IPv4' ? 4 : f === 6 || f === 'IPv6' ? 6 : 0;
}

function answer(callback: LookupCallback, options: LookupOptions, found: LookupAddress[]): void {
  if (options.all) callback(null, found);
  else callback(null, found[0]!.address, found[0]!.family);
}

/** An error as Node's own lookup gives it (its code, for whatever reads one), in words where given. */
function lookupError(hostname: string, code: string, words = `getaddrinfo ${code} ${hostname}`): NodeJS.ErrnoException {
  return Object.assign(new Error(words), { code, syscall: 'getaddrinfo', hostname });
}
