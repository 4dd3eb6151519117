// `tsrun update [options] ID` (runc update.go): change the cgroup limits of a live container,
// from a linux.resources JSON document (`-r FILE`, `-r -` for stdin) or from runc's flags.
import { updateContainer, validateResources } from '../../container/update';
import { joinFlagValues, readResourcesSource, resourcesFromFlags, UPDATE_FLAGS, type UpdateFlag } from '../update-flags';
import { log } from '../../log';
import { help, oneId, parseFlags, str } from '../args';
import type { GlobalOptions } from '../../container/context';

const usage = `Usage: tsrun update [options] <container-id>

Update the resource limits of a created, running or paused container.

Options:
  -r, --resources FILE        linux.resources JSON (config-linux.md "Control groups") from FILE,
                              or from stdin with "-"; the other options are then ignored
  --blkio-weight N            block IO weight (10-1000)
  --cpu-period N              CPU CFS period (microseconds)
  --cpu-quota N               CPU CFS quota per period (microseconds; -1 = none)
  --cpu-burst N               CPU CFS burst (microseconds)
  --cpu-share N               CPU shares (relative weight)
  --cpu-rt-period N           realtime period (microseconds)
  --cpu-rt-runtime N          realtime runtime per period (microseconds)
  --cpu-idle 0|1              SCHED_IDLE for the cgroup
  --cpuset-cpus LIST          CPUs to use (0-3,7)
  --cpuset-mems LIST          memory nodes to use
  --memory SIZE               memory limit (512m, 1g, bytes; -1 = unlimited)
  --memory-reservation SIZE   memory soft limit
  --memory-swap SIZE          memory + swap limit (-1 = unlimited)
  --pids-limit N              maximum number of tasks (-1 = unlimited)
  --kernel-memory-tcp SIZE    kernel TCP buffer limit (cgroup v1 memory.kmem.tcp.limit_in_bytes;
                              a warning where the kernel has no such file or refuses the value)
  --kernel-memory SIZE        ignored with a warning (as runc: the kernel no longer enforces it)
  --l3-cache-schema, --mem-bw-schema          refused: tsrun has no Intel RDT support

Limits not named keep their current value. Device rules cannot be changed by update.
`;

export async function updateCommand(argv: string[], g: GlobalOptions): Promise<number> {
  const valued = ['resources', 'r', ...UPDATE_FLAGS];
  const a = parseFlags('update', joinFlagValues(argv, valued), { string: ['resources', ...UPDATE_FLAGS], alias: { r: 'resources' } });
  if (a.help) return help(usage);
  const id = oneId('update', a);
  const flags: Partial<Record<UpdateFlag, string>> = {};
  for (const f of UPDATE_FLAGS) {
    const v = str(a, f);
    if (v !== undefined) flags[f] = v;
  }
  const source = str(a, 'resources');
  let delta;
  if (source !== undefined) {
    // runc: "if data is to be read from a file or the standard input, all other options are ignored"
    const ignored = Object.keys(flags);
    if (ignored.length) log.warn(`--resources given: ignoring ${ignored.map((f) => `--${f}`).join(', ')}`);
    delta = validateResources(readResourcesSource(source));
  } else {
    delta = validateResources(resourcesFromFlags(flags));
  }
  updateContainer(g, id, delta);
  return 0;
}
