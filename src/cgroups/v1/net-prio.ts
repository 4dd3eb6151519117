// cgroup v1 `net_prio` controller (Documentation/admin-guide/cgroup-v1/net_prio.rst):
// linux.resources.network.priorities[] -> net_prio.ifpriomap, one "<ifname> <priority>" line per
// write(2), in config order (a later entry for the same interface wins, as in the kernel).
// Interface names are those of the runtime's network namespace (config-linux.md "Network").
import type { ResourceController } from '../controller';
import { writeExplained } from './files';

export const netPrioV1: ResourceController = {
  hierarchy: 'net_prio',
  pointer: '/linux/resources/network/priorities',
  applies: (r) => (r.network?.priorities ?? []).length > 0,
  write(cfs, dir, r) {
    for (const p of r.network?.priorities ?? []) {
      writeExplained(cfs, dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`, (errno) =>
        errno === 'ENODEV' ? `there is no network interface "${p.name}" in the runtime's network namespace` : undefined,
      );
    }
  },
};
