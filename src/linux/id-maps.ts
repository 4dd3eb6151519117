// A user namespace's id maps (config-linux.md "User namespace mappings"): the text the kernel
// takes in /proc/<pid>/uid_map and gid_map, and the writes. The parent writes them for the
// trampoline (src/launcher/trampoline.ts) between its unshare(CLONE_NEWUSER) and the rest of its
// work; the trampoline itself could not: a process in a new user namespace holds no capability in
// the parent namespace, which mapping any id but its own needs (user_namespaces(7)).
import fs = require('node:fs');
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
 * Writes uid_map, then gid_map, of `pid`'s user namespace. /proc/<pid>/setgroups stays "allow":
 * the writer holds CAP_SETGID in the parent namespace (tsrun runs as root), which is what
 * user_namespaces(7) asks before a gid_map write is allowed with setgroups enabled; "deny" is
 * needed only by a writer without it (an unprivileged user mapping its own gid), and would make
 * linux.process.user.additionalGids impossible to apply (setgroups(2) fails with EPERM).
 */
export function writeIdMaps(pid: number, uid: IdMapping[], gid: IdMapping[]): void {
  writeMapFile(`/proc/${pid}/uid_map`, formatIdMap(uid));
  writeMapFile(`/proc/${pid}/gid_map`, formatIdMap(gid));
}
