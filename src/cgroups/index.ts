// Public surface of the cgroups module: what other folders (container/, launcher/, cli/) import.
export { cgroupManagerFor, type CgroupManager, type CgroupManagerOptions } from './manager';
export type { CgroupKind, CgroupPaths, FreezerState } from './types';
export { CgroupError } from './errors';
export { killAll } from './kill';
export { detectCgroupLayout, hostCgroupLayout, type CgroupLayout } from './detect';
export { resolveCgroupsPath, TSRUN_CGROUP_PARENT } from './cgroups-path';
export { assertResourcesSupported, SUPPORTED_RESOURCES } from './resources';
export { DEFAULT_ALLOWED_DEVICES } from './v1/devices';
