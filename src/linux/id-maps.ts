// A user namespace's id maps (config-linux.md "User namespace mappings"): the text the kernel
// takes in /proc/<pid>/uid_map and gid_map, and the writes. The parent writes them for the
// trampoline (src/launcher/parent/trampoline.ts) between its unshare(CLONE_NEWUSER) and the rest of its
// work; the trampoline itself could not: a process in a new user namespace holds no capability in
// the parent namespace, which mapping any id but its own needs (user_namespaces(7)).
import fs = require('node:fs');
import path = require('node:path');
import type * as ChildProcessModule from 'node:child_process';
import { RuntimeError } from '../errors';

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** One "inside outside count" line per range (user_namespaces(7) "User and group ID mappings"). */
export function formatIdMap(maps: IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** Does some range map container id `id`? */
export function mapsId(maps: IdMapping[], id: number): boolean {
  return maps.some((m) => id >= m.containerID && id - m.containerID < m.size);
}

function writeMapFile(file: string, text: string): void {
  try {
    // The whole map in one write(2): the file can be written only once, and the kernel takes only
    // the first write (user_namespaces(7)).
    fs.writeFileSync(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    // EINVAL: overlapping ranges, more than 340 lines, or a range outside the parent's ids.
    throw new RuntimeError('namespace', `write ${file}: ${code} (${text.trim().split('\n').join(', ')})`);
  }
}

/**
 * A map written by newuidmap(1)/newgidmap(1), the setuid helpers of shadow's uidmap package: they
 * check each range against /etc/subuid or /etc/subgid (or the caller's own id) and write the map
 * with the privilege we lack. Arguments: pid, then "inside outside count" per range. newgidmap
 * leaves setgroups at "allow" for ranges from /etc/subgid.
 */
function writeWithHelper(helper: string, pid: number, maps: IdMapping[]): void {
  const args = [String(pid), ...maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
  const bin = onPath(helper);
  if (!bin) throw new RuntimeError('namespace', `${helper} is not on PATH: mapping more than your own id needs it (Debian package uidmap)`);
  // Required here: only a non-root caller mapping more than its own id runs the helpers, and create
  // loads child_process for nobody else (as trampoline.ts).
  const { execFileSync } = require('node:child_process') as typeof ChildProcessModule;
  try {
    execFileSync(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: {} });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.stderr?.toString().trim().split('\n').pop() || err.message;
    throw new RuntimeError('namespace', `${helper} ${args.join(' ')}: ${why}`);
  }
}

/** Is `maps` exactly the one mapping a process may write for itself: its own id, size 1? */
export function ownIdOnly(maps: readonly IdMapping[], id: number): boolean {
  return maps.length === 1 && maps[0].hostID === id && maps[0].size === 1;
}

/** The first executable `name` on PATH (runc looks the helpers up the same way, exec.LookPath). */
export function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const dir of dirs) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Writes uid_map, then gid_map, of `pid`'s user namespace.
 *
 * As root, /proc/<pid>/setgroups stays "allow": the writer holds CAP_SETGID in the parent
 * namespace, which is what user_namespaces(7) asks before a gid_map write is allowed with
 * setgroups enabled; "deny" would make process.user.additionalGids impossible (setgroups(2) fails
 * with EPERM).
 *
 * Not root (rootless; src/spec/rootless.ts has checked the maps): a map of only our own id is
 * written directly, which user_namespaces(7) allows an unprivileged writer, for gid_map only after
 * "deny" to setgroups (Linux 3.19+, else EPERM); anything more goes through newuidmap/newgidmap, as
 * runc does.
 */
export function writeIdMaps(pid: number, uid: IdMapping[], gid: IdMapping[]): void {
  const euid = process.geteuid?.() ?? 0;
  if (euid === 0) {
    writeMapFile(`/proc/${pid}/uid_map`, formatIdMap(uid));
    writeMapFile(`/proc/${pid}/gid_map`, formatIdMap(gid));
    return;
  }
  if (ownIdOnly(uid, euid)) writeMapFile(`/proc/${pid}/uid_map`, formatIdMap(uid));
  else writeWithHelper('newuidmap', pid, uid);
  if (ownIdOnly(gid, process.getegid?.() ?? 0)) {
    writeMapFile(`/proc/${pid}/setgroups`, 'deny');
    writeMapFile(`/proc/${pid}/gid_map`, formatIdMap(gid));
  } else {
    writeWithHelper('newgidmap', pid, gid);
  }
}

/**
 * Is setgroups(2) denied in the user namespace of `pid` (/proc/<pid>/setgroups, user_namespaces(7))?
 * `exec` asks, so that its process skips setgroups as the container's init did.
 */
export function setgroupsDeniedIn(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/setgroups`, 'utf8').trim() === 'deny';
  } catch {
    return false;
  }
}
