// Detects the host's cgroup layout once per process: pure v2, pure v1, or hybrid (v1 controllers
// plus a cgroup2 hierarchy that only tracks processes, systemd's "hybrid" mode).
//   - `<root>/cgroup.controllers` exists -> v2 (the file exists only at a cgroup2 root; runc's
//     docs/cgroup-v2.md "Am I using cgroup v2?" gives the same test).
//   - otherwise the v1 hierarchies come from /proc/self/mountinfo (proc(5)): fstype "cgroup", and
//     the super options name the controllers (co-mounted "cpu,cpuacct" share one directory) or a
//     named hierarchy ("name=systemd"); a "cgroup2" mount beside them makes it hybrid.
// The root and the mountinfo text are parameters so unit tests can describe a fake tree.
import fs = require('node:fs');
import path = require('node:path');
import { CgroupError } from './errors';
import type { CgroupKind } from './types';

const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupLayout {
  kind: CgroupKind;
  /** v1 controller or "name=<hierarchy>" -> mount point (empty on v2). */
  v1: Record<string, string>;
  /** Mount point of the cgroup2 hierarchy (v2: the root; hybrid: usually <root>/unified). */
  unified?: string;
}

/** cgroup v1 controllers the kernel has (cgroups(7)); other super options are mount flags. */
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);
/** Named v1 hierarchies tsrun joins; runc joins name=systemd too so systemd sees the process. */
const NAMED_HIERARCHIES = new Set(['name=systemd']);

export interface MountinfoEntry {
  mountPoint: string;
  /** Root of the mounted subtree inside its filesystem (field 4). */
  root: string;
  fsType: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal (proc(5)). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse /proc/<pid>/mountinfo text; lines it cannot read are skipped. */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
    // optional fields end at the lone "-"; after it come fstype, source, super options.
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) continue;
    out.push({
      root: unescapeMountinfo(fields[3]),
      mountPoint: unescapeMountinfo(fields[4]),
      fsType: fields[sep + 1],
      superOptions: fields[sep + 3].split(','),
    });
  }
  return out;
}

function isUnder(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : root + '/');
}

export interface DetectOptions {
  /** Where cgroup hierarchies are mounted; default /sys/fs/cgroup. */
  root?: string;
  /** mountinfo text; default: read /proc/self/mountinfo. */
  mountinfo?: string;
}

/** Work out the layout from the given root and mount table (no caching; see hostCgroupLayout). */
export function detectCgroupLayout(opts: DetectOptions = {}): CgroupLayout {
  const root = path.resolve(opts.root ?? DEFAULT_CGROUP_ROOT);
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) {
    return { kind: 'v2', v1: {}, unified: root };
  }
  let text = opts.mountinfo;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    } catch (err) {
      throw new CgroupError('cannot read /proc/self/mountinfo to find the cgroup hierarchies', { cause: err });
    }
  }
  const entries = parseMountinfo(text);
  // Mounts under the root win over stray cgroup mounts elsewhere (e.g. bind mounts prepared for
  // a container); among equals the first line wins, as the kernel lists mounts in mount order.
  const ordered = [...entries.filter((e) => isUnder(e.mountPoint, root)), ...entries.filter((e) => !isUnder(e.mountPoint, root))];
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const e of ordered) {
    if (e.fsType === 'cgroup2') {
      unified ??= e.mountPoint;
    } else if (e.fsType === 'cgroup') {
      for (const opt of e.superOptions) {
        if (V1_CONTROLLERS.has(opt) || NAMED_HIERARCHIES.has(opt)) v1[opt] ??= e.mountPoint;
      }
    }
  }
  const controllers = Object.keys(v1).filter((k) => !k.startsWith('name='));
  if (controllers.length === 0) {
    // A cgroup2 mount somewhere else than the root with no v1 controllers is still usable as v2.
    if (unified !== undefined) return { kind: 'v2', v1: {}, unified };
    throw new CgroupError(`no cgroup filesystem found under ${root} (neither cgroup2 nor v1 controllers are mounted)`, {
      code: 'cgroup-missing',
    });
  }
  return unified === undefined ? { kind: 'v1', v1 } : { kind: 'hybrid', v1, unified };
}

let hostLayout: CgroupLayout | undefined;
/** The host layout, detected on first use and then cached for the life of the process. */
export function hostCgroupLayout(): CgroupLayout {
  hostLayout ??= detectCgroupLayout();
  return hostLayout;
}
