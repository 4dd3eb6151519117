// The stages of set() that decide before a file is written, so a refused config leaves the cgroup
// untouched (config.md: a runtime MUST generate an error for what it cannot apply):
//   - validateResources: a field no controller of this cgroup version implements is refused by
//     name, then every controller's own validate() checks its values (pure, no host access);
//   - controllersToWrite: which controllers set() will use and in which directory, refusing a
//     field whose cgroup controller is not mounted on this host, by name.
// Host facts finer than "is the controller there" (a control file only newer kernels have, a
// limit below the current usage) are each controller's check(), also run before any write.
import { UnsupportedError } from '../errors';
import type { CgroupWarn, ResourceController } from './controller';
import { CgroupError } from './errors';
import type { LinuxResources } from './types';

const P = '/linux/resources';

/** Absent for this purpose: undefined, null, an empty list or an empty object. */
function isAbsent(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every((v) => v === undefined || v === null);
  return false;
}

/**
 * Throws UnsupportedError/SpecError for anything in `resources` that `controllers` (one cgroup
 * version's list) cannot apply: a field none of them implements, then each one's validate().
 */
export function validateResources(controllers: readonly ResourceController[], resources: LinuxResources, warn: CgroupWarn): void {
  for (const [key, value] of Object.entries(resources)) {
    if (isAbsent(value)) continue;
    const at = `${P}/${key}`;
    if (!controllers.some((c) => c.pointer === at || c.pointer.startsWith(`${at}/`))) throw new UnsupportedError(at);
  }
  for (const c of controllers) c.validate(resources, warn);
}

/**
 * The controllers of `controllers` that `resources` asks for, each with its directory, in order.
 * A field whose controller has no hierarchy on this host is refused by name (for example
 * "/linux/resources/hugepageLimits: the hugetlb cgroup controller is not mounted on this host").
 */
export function controllersToWrite<C extends ResourceController>(
  controllers: readonly C[],
  dirs: Readonly<Record<string, string>>,
  resources: LinuxResources,
): Array<[C, string]> {
  const out: Array<[C, string]> = [];
  for (const ctl of controllers) {
    if (!ctl.applies(resources)) continue;
    const dir = dirs[ctl.hierarchy];
    if (dir === undefined) {
      throw new CgroupError(`${ctl.pointer}: the ${ctl.hierarchy} cgroup controller is not mounted on this host, so this setting cannot be applied`, {
        code: 'cgroup-missing',
      });
    }
    out.push([ctl, dir]);
  }
  return out;
}
