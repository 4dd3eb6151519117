// The process's user and groups (runtime-spec config.md "User"), in runc's order: keep
// capabilities across the uid switch (PR_SET_KEEPCAPS), setgroups, setresgid, setresuid, then the
// caller restores the wanted capability sets (capabilities.ts).
import type { Sys } from '../sys/sys';
import { PR_SET_KEEPCAPS } from '../sys/constants';

export function switchIdentity(sys: Sys, uid: number, gid: number, additionalGids: number[]): void {
  sys.prctl(PR_SET_KEEPCAPS, 1);
  // setgroups before the uid switch: afterwards we may no longer hold CAP_SETGID.
  sys.setgroups(additionalGids);
  sys.setresgid(gid);
  sys.setresuid(uid);
  sys.prctl(PR_SET_KEEPCAPS, 0);
}
