// What a config needs when tsrun runs as a non-root user ("rootless", README "Rootless"), checked
// at create before anything is made, so that the caller reads which field it cannot have instead
// of an EPERM from deep inside the init stage:
// - a user namespace (new or joined): without one, every mount, pivot_root and namespace needs
//   capabilities the caller does not hold;
// - id maps the caller may write. user_namespaces(7) "Defining user and group ID mappings": an
//   unprivileged process may map only its own effective id, once (size 1); anything else needs
//   CAP_SETUID/CAP_SETGID in the parent namespace, which the setuid helpers newuidmap(1) and
//   newgidmap(1) provide for the ranges /etc/subuid and /etc/subgid give the user (subuid(5)).
//   runc does the same: its own id directly, the rest through those helpers.
// - a gid map of only the caller's own gid is written after "deny" to /proc/<pid>/setgroups (the
//   kernel refuses it otherwise, since Linux 3.19), so process.user.additionalGids cannot be set.
//
// The checks are pure (the caller, the sub-id files and the helpers are arguments), so the unit
// test covers them without users or files; hostFacts() reads the host's.
import fs = require('node:fs');
import os = require('node:os');
import { SpecError } from '../errors';
import { onPath, ownIdOnly, type IdMapping } from '../linux/id-maps';
import { runningInUserNs } from '../linux/userns';
import type { Spec } from './types';

/** A non-root caller: its effective ids and user name (sub-id files name users or uids). */
export interface Caller {
  uid: number;
  gid: number;
  name: string;
  /**
   * In a user namespace that is not the initial one (runningInUserNs): with uid 0 there, rootless
   * podman's runtime, which keeps the rest of the rootless rules (cgroups, the trampoline).
   */
  inUserNs: boolean;
}

export interface RootlessHost {
  /** Contents of /etc/subuid and /etc/subgid ('' when missing). */
  subuid: string;
  subgid: string;
  /** Paths of newuidmap/newgidmap, when on PATH. */
  newuidmap?: string;
  newgidmap?: string;
}

/**
 * The caller when it is not root of the initial user namespace, else undefined: a non-root
 * effective uid, or any uid of another user namespace.
 */
export function rootlessCaller(): Caller | undefined {
  const uid = process.geteuid?.() ?? 0;
  const inUserNs = runningInUserNs();
  if (uid === 0 && !inUserNs) return undefined;
  let name = String(uid);
  try {
    name = os.userInfo().username;
  } catch {
    // no passwd entry: sub-id files can still name the uid
  }
  return { uid, gid: process.getegid?.() ?? uid, name, inUserNs };
}

/** The ranges subuid(5)/subgid(5) text gives `who` ("name:start:count", name or numeric id). */
export function subIdRanges(text: string, who: Caller): { start: number; count: number }[] {
  const ranges: { start: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== who.name && owner !== String(who.uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && c > 0) ranges.push({ start: s, count: c });
  }
  return ranges;
}

/** Refuses `maps` unless `caller` may have them written: its own id alone, or helper + sub-id ranges. */
function checkMaps(maps: readonly IdMapping[], kind: 'uid' | 'gid', caller: Caller, host: RootlessHost): void {
  const own = kind === 'uid' ? caller.uid : caller.gid;
  if (ownIdOnly(maps, own)) return;
  const field = kind === 'uid' ? 'uidMappings' : 'gidMappings';
  const helper = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
  if (!(kind === 'uid' ? host.newuidmap : host.newgidmap)) {
    throw new SpecError(`/linux/${field}`, `maps more than your own ${kind} ${own}, which needs ${helper} (Debian package uidmap), not found on PATH; or map only ${own}, as \`tsrun spec --rootless\` does`);
  }
  const ranges = subIdRanges(kind === 'uid' ? host.subuid : host.subgid, caller);
  maps.forEach((m, i) => {
    // newuidmap(1) accepts the caller's own id as a range of one, and ranges inside its sub-ids.
    if (m.size === 1 && m.hostID === own) return;
    const inside = ranges.some((r) => m.hostID >= r.start && m.hostID + m.size <= r.start + r.count);
    if (!inside) {
      const last = m.hostID + m.size - 1;
      throw new SpecError(`/linux/${field}/${i}`, `host ${kind}s ${m.hostID}-${last} are not yours: ${file} gives ${caller.name} (${kind} ${own}) ${ranges.length ? ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ') : 'no range'}, and ${helper} refuses the rest`);
    }
  });
}

/**
 * Refuses, by field, what `caller` (not root) cannot have (see the file header). Returns whether
 * setgroups(2) will be denied in the container's new user namespace (its gid map is the caller's
 * own gid only), which the identity switch must then skip.
 */
export function checkRootless(spec: Spec, caller: Caller, host: RootlessHost): { setgroupsDenied: boolean } {
  // Root of its own user namespace (rootless podman's runtime): it holds every capability there,
  // so it may make namespaces without a user namespace of the config's, and write any map of ids
  // its namespace maps (the kernel refuses the rest, with the map in tsrun's message).
  if (caller.uid === 0) return { setgroupsDenied: false };
  const namespaces = spec.linux?.namespaces ?? [];
  const user = namespaces.find((n) => n.type === 'user');
  if (!user) {
    throw new SpecError('/linux/namespaces', `tsrun runs as ${caller.name} (uid ${caller.uid}), not root, and that needs a user namespace ({"type": "user"} with uidMappings/gidMappings, as \`tsrun spec --rootless\` writes)`);
  }
  // A joined user namespace takes no maps (checks.ts); whether we may join it, setns(2) says.
  if (user.path) return { setgroupsDenied: false };
  checkMaps(spec.linux?.uidMappings ?? [], 'uid', caller, host);
  checkMaps(spec.linux?.gidMappings ?? [], 'gid', caller, host);
  const setgroupsDenied = ownIdOnly(spec.linux?.gidMappings ?? [], caller.gid);
  if (setgroupsDenied && (spec.process?.user.additionalGids?.length ?? 0) > 0) {
    throw new SpecError('/process/user/additionalGids', `cannot be set: with a gid map of only your own gid (${caller.gid}), setgroups(2) is denied in the user namespace (user_namespaces(7)); map more gids from /etc/subgid`);
  }
  return { setgroupsDenied };
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The host's sub-id files and helpers. */
export function hostFacts(): RootlessHost {
  return { subuid: readOrEmpty('/etc/subuid'), subgid: readOrEmpty('/etc/subgid'), newuidmap: onPath('newuidmap'), newgidmap: onPath('newgidmap') };
}
