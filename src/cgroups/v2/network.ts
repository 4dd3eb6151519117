// linux.resources.network on cgroup v2: refused. classID (net_cls) and priorities (net_prio) are
// cgroup v1 controllers with no v2 counterpart (cgroup-v2.rst "Deprecated v1 Core Features"; on v2
// traffic is classified by cgroup path, e.g. with eBPF or nftables "socket cgroupv2"), and the spec
// asks for an error when a v1 setting cannot be converted (config-linux.md "Unified"). runc
// silently drops these on v2; an explicit refusal tells the user their setting would do nothing.
// A classID of 0 (no class) and an empty priority list ask for nothing and pass.
// Verified against the fake cgroupfs (the refusal needs no kernel).
import { UnsupportedError } from '../../errors';
import type { V2Controller } from './controller-v2';

const POINTER = '/linux/resources/network';

export const networkV2: V2Controller = {
  hierarchy: 'unified',
  pointer: POINTER,
  applies: () => false,
  validate(r) {
    const n = r.network;
    if (n === undefined) return;
    if (n.classID !== undefined && n.classID !== 0) {
      throw new UnsupportedError(`${POINTER}/classID`, 'needs the net_cls controller, which exists only in cgroup v1; cgroup v2 has no equivalent');
    }
    if ((n.priorities ?? []).length > 0) {
      throw new UnsupportedError(`${POINTER}/priorities`, 'needs the net_prio controller, which exists only in cgroup v1; cgroup v2 has no equivalent');
    }
  },
  write() {
    /* nothing to write: validate() refuses every request */
  },
};
