import { createHash, createHmac } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { ReasonedError } from '../../errors.ts';
import { FileError, readSmallFile, userName } from '../../files.ts';

export interface KnownKey {
  type: string;
  /** The raw public key blob. */
  blob: Buffer;
}

export class HostKeyError extends ReasonedError {
  override readonly name = 'HostKeyError';
}

/** OpenSSH's name for a host in known_hosts: the bare host for port 22, else [host]:port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** SHA256:base64 fingerprint, as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function matchesPattern(name: string, pattern: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  // Wildcards as OpenSSH allows them in host patterns.
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

/** Whether the check's user may log in (a shell that is not nologin or false): if so, it types its own fixes. */
function loginShell(): boolean {
  try {
    return !/\/(nologin|false)$/.test(userInfo().shell ?? '/usr/sbin/nologin');
  } catch {
    return false;
  }
}

/** A path through a file (its directory is one, or under one): ssh-keyscan's `>>` cannot make it, the path is wrong. */
function throughFile(file: string): boolean {
  try {
    return !statSync(dirname(file)).isDirectory();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR';
  }
}

/**
 * The keys known_hosts holds for this host (hashed entries included). Revoked keys and
 * certificate authorities are not trusted as host keys here.
 */
export function knownKeys(file: string, host: string, port: number): { keys: KnownKey[]; revoked: KnownKey[] } {
  let text: string;
  try {
    text = readSmallFile(file, 'known hosts file').toString('utf8');
  } catch (err) {
    if (err instanceof FileError && err.missing && !throughFile(file)) {
      // `>>` makes the file, not its directory (nagios' home has no ~/.ssh at first). For a check
      // user nobody logs in as (nagios: nologin), an admin types the fix as root, and the directory
      // it made was root's 0700, denied to that user: then both are made as it (through sh -c: a
      // `|` on the first line would start its perfdata).
      const dir = dirname(file);
      const add = `${existsSync(dir) ? '' : `mkdir -p -m 700 ${dir} && `}ssh-keyscan -p ${port} ${host} >> ${file}`;
      const user = userName();
      const as = user.startsWith('uid ') ? `'#${user.slice(4)}'` : user;
      throw new HostKeyError(err.message, {
        fix: `check the host's key fingerprint, then add its keys: ${loginShell() ? add : `sudo -u ${as} sh -c '${add}'`}`,
      });
    }
    throw err;
  }
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  const revoked: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let fields = line.split(/\s+/);
    let marker = '';
    if (fields[0]!.startsWith('@')) {
      marker = fields[0]!;
      fields = fields.slice(1);
    }
    const [patterns, type, key] = fields;
    if (!patterns || !type || !key || marker === '@cert-authority') continue;
    const list = patterns.split(',');
    const negated = list.some((p) => p.startsWith('!') && matchesPattern(name, p.slice(1)));
    if (negated || !list.some((p) => !p.startsWith('!') && matchesPattern(name, p))) continue;
    const entry = { type, blob: Buffer.from(key, 'base64') };
    (marker === '@revoked' ? revoked : keys).push(entry);
  }
  return { keys, revoked };
}
