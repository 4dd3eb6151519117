// Public surface of the cgroup device filter: turn linux.resources.devices into an eBPF program
// and attach it to a cgroup2 directory. The v2 manager uses it (v2/devices.ts); it works on any
// cgroup2 directory, including the unified one of a hybrid host, so the hybrid path can call it too.
import type { LinuxDeviceCgroup } from '../types';
import type { DeviceFilterAttacher } from './attach';
import { buildDeviceFilter } from './device-filter';
import { emulateDeviceRules } from './device-rules';

export { bpfDeviceFilterAttacher, type DeviceFilterAttacher } from './attach';
export { buildDeviceFilter } from './device-filter';
export { deviceAllowed, emulateDeviceRules, type DeviceCgroupState, type DeviceException, type DeviceRequest } from './device-rules';

/** The program for `rules` in config order plus the default allowed devices; validates the rules (SpecError). */
export function deviceFilterProgram(rules: readonly LinuxDeviceCgroup[]): Buffer {
  return buildDeviceFilter(emulateDeviceRules(rules));
}

/**
 * Make `rules` (plus DEFAULT_ALLOWED_DEVICES, default deny) the device policy of the cgroup2
 * directory `cgroupDir`, replacing any device program tsrun attached there before.
 */
export function applyDeviceRules(cgroupDir: string, rules: readonly LinuxDeviceCgroup[], attacher: DeviceFilterAttacher): void {
  attacher.attach(cgroupDir, deviceFilterProgram(rules));
}
