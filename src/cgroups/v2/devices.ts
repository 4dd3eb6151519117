// linux.resources.devices on cgroup v2: there are no devices.allow/deny files; access to device
// nodes is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup directory
// (Documentation/admin-guide/cgroup-v2.rst "Device controller"). The program is built from the
// rules in config order, starting from deny-all, with DEFAULT_ALLOWED_DEVICES appended as on v1
// (../ebpf/device-rules.ts), and replaces any device program an earlier set() attached (update).
// `create` always passes a list (an absent one is []), so every container gets a program.
// The attacher is a parameter so unit tests run against the fake cgroupfs with a recording one.
// Verified on this host's real cgroup2 mount with the bpf(2) attacher: a denied node gives EPERM to
// a process in the cgroup, the default nodes work (test/integration/cgroups-v2-unified.test.ts).
import { applyDeviceRules, type DeviceFilterAttacher, deviceFilterProgram } from '../ebpf';
import type { V2Controller } from './controller-v2';

export function devicesV2(attacher: DeviceFilterAttacher): V2Controller {
  return {
    hierarchy: 'unified',
    pointer: '/linux/resources/devices',
    applies: (r) => r.devices !== undefined,
    validate(r) {
      if (r.devices !== undefined) deviceFilterProgram(r.devices);
    },
    write(_cfs, dir, r) {
      applyDeviceRules(dir, r.devices ?? [], attacher);
    },
  };
}
