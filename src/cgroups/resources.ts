// Which linux.resources fields the cgroup manager implements on which layout, checked before any
// file is written so a refused config leaves the cgroup untouched. Spec validation refuses the
// unimplemented fields already; this is the second line, and the only one that knows the host
// layout (devices on pure v2 needs an eBPF program, which tsrun does not build yet).
import { UnsupportedError } from '../errors';
import { pidsMaxValue } from './convert';
import type { CgroupKind, LinuxResources } from './types';
import { deviceWrites } from './v1/devices';

/** Resource fields implemented so far (the rest arrive with the full resource controllers). */
export const SUPPORTED_RESOURCES: readonly string[] = ['devices', 'pids'];

/** Throw UnsupportedError/SpecError for anything in `resources` this layout cannot apply. */
export function assertResourcesSupported(kind: CgroupKind, resources: LinuxResources | undefined): void {
  if (resources === undefined) return;
  for (const [key, value] of Object.entries(resources)) {
    if (value === undefined || value === null) continue;
    if (!SUPPORTED_RESOURCES.includes(key)) {
      throw new UnsupportedError(`/linux/resources/${key}`, 'is not supported by tsrun yet (only devices and pids are applied so far)');
    }
  }
  if (resources.pids !== undefined) pidsMaxValue(resources.pids.limit);
  if (resources.devices !== undefined && resources.devices.length > 0) {
    if (kind === 'v2') {
      throw new UnsupportedError('/linux/resources/devices', 'needs the eBPF device controller on cgroup v2, not supported by tsrun yet');
    }
    deviceWrites(resources.devices);
  }
}
