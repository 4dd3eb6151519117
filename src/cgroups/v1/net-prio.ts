// cgroup v1 `net_prio` controller (Documentation/admin-guide/cgroup-v1/net_prio.rst):
// linux.resources.network.priorities[] -> net_prio.ifpriomap, one "<ifname> <priority>" line per
// write(2), in config order (a later entry for the same interface wins, as in the kernel).
// Interface names are those of the runtime's network namespace (config-linux.md "Network").
import type { ResourceController } from '../controller';
import { writeExplained } from './files';
import { SpecError } from '../../errors';
import { checkInt, UINT32 } from './values';

export const netPrioV1: ResourceController = {
  hierarchy: 'net_prio',
  pointer: '/linux/resources/network/priorities',
  applies: (r) => (r.network?.priorities ?? []).length > 0,
  validate(r) {
    for (const [i, p] of (r.network?.priorities ?? []).entries()) {
      const at = `/linux/resources/network/priorities/${i}`;
      // One "<ifname> <prio>" line per write: a name with whitespace would be read as other fields.
      if (typeof p.name !== 'string' || !/^[^\s/]+$/.test(p.name)) throw new SpecError(`${at}/name`, `must be a network interface name, got ${JSON.stringify(p.name)}`);
      checkInt(p.priority, `${at}/priority`, 0, UINT32);
    }
  },
  write(cfs, dir, r) {
    for (const p of r.network?.priorities ?? []) {
      writeExplained(cfs, dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`, (errno) =>
        errno === 'ENODEV' ? `there is no network interface "${p.name}" in the runtime's network namespace` : undefined,
      );
    }
  },
};
