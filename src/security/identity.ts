// The process's user and groups (runtime-spec config.md "User"), in runc's order: keep
// capabilities across the uid switch (PR_SET_KEEPCAPS), setgroups, setresgid, setresuid, then the
// caller restores the wanted capability sets (capabilities.ts).
import type { Sys } from '../sys/sys';
import { PR_SET_KEEPCAPS } from '../sys/constants';

/**
 * `setgroupsDenied`: /proc/self/setgroups says "deny" (a rootless user namespace whose gid map is
 * only the caller's gid, user_namespaces(7)); setgroups(2) would fail with EPERM, so the groups
 * stay as they are, as runc does (the config cannot ask for additionalGids then: src/spec/rootless.ts).
 */
export function switchIdentity(sys: Sys, uid: number, gid: number, additionalGids: number[], setgroupsDenied = false): void {
  sys.prctl(PR_SET_KEEPCAPS, 1);
  // setgroups before the uid switch: afterwards we may no longer hold CAP_SETGID.
  if (!setgroupsDenied) sys.setgroups(additionalGids);
  sys.setresgid(gid);
  sys.setresuid(uid);
  sys.prctl(PR_SET_KEEPCAPS, 0);
}
