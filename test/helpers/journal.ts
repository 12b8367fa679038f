import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { at, klog, LOCK_TXN, logrus } from './fixtures.ts';

export const KUBELITE = { unit: 'snap.microk8s.daemon-kubelite.service', ident: 'microk8s.daemon-kubelite', pid: 2348286 };
export const DQLITE = { unit: 'snap.microk8s.daemon-k8s-dqlite.service', ident: 'microk8s.daemon-k8s-dqlite', pid: 739 };
export const CONTAINERD = { unit: 'snap.microk8s.daemon-containerd.service', ident: 'microk8s.daemon-containerd', pid: 1201 };

export interface Entry {
  /** Seconds before the journal is written. */
  age: number;
  service: { unit: string; ident: string; pid: number };
  message: string;
  host?: string;
  priority?: number;
  /** Fields of the entry beyond (or instead of) those the service gives it. */
  fields?: Record<string, string>;
}

/**
 * systemd (PID 1) writing about a unit: `journalctl -u <unit>` shows it through UNIT= with _PID=1
 * (systemd src/shared/logs-show.c, add_matches_for_unit), as `systemd[1]: ...`.
 */
export const SYSTEMD = { unit: 'init.scope', ident: 'systemd', pid: 1 };
export const bySystemd = (age: number, unit: { unit: string }, message: string): Entry => ({
  age,
  service: SYSTEMD,
  message,
  fields: { _COMM: 'systemd', _TRANSPORT: 'journal', _SYSTEMD_SLICE: '-.slice', UNIT: unit.unit },
});

/** Machines of a central log host's journal (systemd-journal-remote writes each one's entries to its own files). */
export const K8S01 = { id: '0123456789abcdef0123456789abcdef', host: 'k8s01' };
export const K8S03 = { id: 'fedcba9876543210fedcba9876543210', host: 'k8s03' };

/** The entry as one of `machine`'s: its machine id, a boot of its own and its host name. */
export const on = (machine: { id: string; host: string }, e: Entry): Entry => ({
  ...e,
  host: machine.host,
  fields: { ...e.fields, _MACHINE_ID: machine.id, _BOOT_ID: [...machine.id].reverse().join('') },
});

const JOURNAL_REMOTE = ['/usr/lib/systemd/systemd-journal-remote', '/lib/systemd/systemd-journal-remote'].find(existsSync);

export const haveJournalRemote = JOURNAL_REMOTE !== undefined;

const BOOT = '3f9d2c4e8a1b4f6d9e0c7b5a2d4f6e8a';
/** The machine every entry is of unless its fields say another: journald stamps each with its host's. */
const MACHINE = '5e0b8c1d2f3a4b6c8d9e0f1a2b3c4d5e';
/**
 * When that boot began, µs since 1970 (2017-07-14): long before any stamp written. journalctl
 * orders one boot's entries by their monotonic stamp, in every file of a directory, so it must
 * grow with the wall clock: counted from one boot, never wrapping.
 */
const BOOT_REALTIME_US = 1_500_000_000_000_000;

/** The fields of each entry, stamped relative to now, oldest first. */
function exportFields(entries: Entry[], now: number): Record<string, string | number>[] {
  return [...entries]
    .sort((a, b) => b.age - a.age)
    .map((e, i) => {
      const realtime = (now - e.age * 1000) * 1000 + i;
      return {
        __REALTIME_TIMESTAMP: realtime,
        __MONOTONIC_TIMESTAMP: realtime - BOOT_REALTIME_US,
        _BOOT_ID: BOOT,
        _MACHINE_ID: MACHINE,
        _HOSTNAME: e.host ?? 'k8s02',
        _TRANSPORT: 'stdout',
        PRIORITY: e.priority ?? 6,
        SYSLOG_FACILITY: 3,
        SYSLOG_IDENTIFIER: e.service.ident,
        _PID: e.service.pid,
        _COMM: e.service.ident.includes('kubelite') ? 'kubelite' : 'k8s-dqlite',
        _SYSTEMD_UNIT: e.service.unit,
        _SYSTEMD_SLICE: 'system.slice',
        ...e.fields,
        MESSAGE: e.message,
      };
    });
}

/** Export-format text for the entries, stamped relative to now, oldest first. */
export function exportText(entries: Entry[], now = Date.now()): string {
  return exportFields(entries, now)
    .map((fields) => [...Object.entries(fields).map(([k, v]) => `${k}=${v}`), ''].join('\n'))
    .map((entry) => `${entry}\n`)
    .join('');
}

/**
 * The export format as systemd-journal-remote reads it: a value holding a line break (a message of
 * several lines) is written in its binary form, the name, a line break, its length as a 64-bit
 * little-endian number, then the bytes (systemd's Journal Export Format).
 */
function exportBytes(entries: Entry[], now: number): Buffer {
  const field = (name: string, value: string | number) => {
    const text = String(value);
    if (!text.includes('\n')) return Buffer.from(`${name}=${text}\n`);
    const bytes = Buffer.from(text);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(bytes.length));
    return Buffer.concat([Buffer.from(`${name}\n`), size, bytes, Buffer.from('\n')]);
  };
  return Buffer.concat(
    exportFields(entries, now).flatMap((fields) => [...Object.entries(fields).map(([k, v]) => field(k, v)), Buffer.from('\n')]),
  );
}

/**
 * A node's journal holds far more than any window: journald starts it at boot and drops whole
 * files, oldest first. Each journal the tests write begins with journald's own start, six hours
 * before its oldest entry, as a real one does (check_restart_preflight asks that a journal reach
 * back over its window); `anchor: false` writes only the entries given.
 */
const journalStart = (entries: Entry[]): Entry => ({
  age: Math.max(0, ...entries.map((e) => e.age)) + 6 * 3600,
  service: { unit: 'systemd-journald.service', ident: 'systemd-journald', pid: 312 },
  message: 'Journal started',
  fields: { _COMM: 'systemd-journald', _TRANSPORT: 'driver' },
});

/**
 * A node's journal is written as it goes, and seldom quiet for long (kubelite, containerd, cron); a
 * journal given whose newest entry is older than 2 minutes ends inside the window (a copy, a
 * machine that stopped sending), and vouches for no calm after that. Each journal the tests
 * write ends now, with an entry of another unit by each machine its entries are of; `tail: false`
 * writes only the entries given (a copy, a machine gone silent).
 */
function journalTails(entries: Entry[]): Entry[] {
  const machines = new Map<string, Entry>();
  for (const e of entries) {
    const fields = { _MACHINE_ID: e.fields?._MACHINE_ID, _BOOT_ID: e.fields?._BOOT_ID };
    machines.set(JSON.stringify([e.host, fields]), e);
  }
  return [...machines.values()].map((e) => ({
    age: 0,
    host: e.host,
    service: { unit: 'cron.service', ident: 'CRON', pid: 4211 },
    message: 'pam_unix(cron:session): session closed for user root',
    fields: {
      _COMM: 'cron',
      ...(e.fields?._MACHINE_ID === undefined ? {} : { _MACHINE_ID: e.fields._MACHINE_ID }),
      ...(e.fields?._BOOT_ID === undefined ? {} : { _BOOT_ID: e.fields._BOOT_ID }),
    },
  }));
}

/**
 * A real journal file, written by systemd-journal-remote from export text, named `name` in `dir`
 * (a central log host's directory holds one per machine: remote-<host>.journal); `now`: the clock
 * its ages count back from.
 */
export function makeJournal(
  entries: Entry[],
  dir = mkdtempSync(join(tmpdir(), 'mk8s-journal-')),
  {
    anchor = true,
    tail = true,
    name = 'system.journal',
    now = Date.now(),
  }: { anchor?: boolean; tail?: boolean; name?: string; now?: number } = {},
): string {
  if (!JOURNAL_REMOTE) throw new Error('systemd-journal-remote is not installed (apt-get install systemd-journal-remote)');
  const src = join(dir, `${name}.export`);
  const given = [...(anchor ? [journalStart(entries)] : []), ...entries];
  const all = [...given, ...(tail && entries.length ? journalTails(given) : [])];
  writeFileSync(src, exportBytes(all, now));
  const out = join(dir, name);
  execFileSync(JOURNAL_REMOTE, [`--output=${out}`, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/**
 * 'database is locked' lines over the last few minutes, as a storm writes them: k8s-dqlite's
 * every 20 s (8), kubelite's every 30 s (4): 12 in a 5m window, 3 in the last minute.
 */
export const lockStorm = (): Entry[] => [
  ...Array.from({ length: 8 }, (_, i) => ({ age: 20 + i * 20, service: DQLITE, message: logrus(at(20 + i * 20), 'error', LOCK_TXN) })),
  ...Array.from({ length: 4 }, (_, i) => ({
    age: 30 + i * 30,
    service: KUBELITE,
    message: klog(
      at(30 + i * 30),
      'E',
      KUBELITE.pid,
      'status.go:71',
      'apiserver received an error that is not an metav1.Status: rpc error: code = Unknown desc = exec (try: 500): database is locked',
    ),
  })),
];
