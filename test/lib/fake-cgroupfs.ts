// Test double: a fake cgroupfs in a temporary directory that behaves enough like the kernel for
// the managers to be unit-tested without root (its syscall counterpart is fake-sys.ts).
//   - mkdir creates the control files of the hierarchy (cpuset.cpus empty, freezer THAWED, ...);
//   - writes to missing files fail ENOENT (no O_CREAT), and every write is logged in order;
//   - freezer and cgroup.freeze writes update the reported state (optionally after a few polls);
//   - cgroup.subtree_control "+ctrl" makes the controller's files appear in new children;
//   - rmdir ignores control files but fails EBUSY with child cgroups or listed processes.
// Used only by tests (kept in test/lib, out of the runtime's src/).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { constants as osConstants } from 'node:os';
import { type CgroupFs, nodeCgroupFs } from '../../src/cgroups/cgroupfs';
import type { CgroupKind } from '../../src/cgroups/types';

export interface FakeWrite {
  file: string;
  data: string;
}

export interface FakeCgroupTree {
  /** Fake /sys/fs/cgroup. */
  root: string;
  /** mountinfo text describing the fake mounts. */
  mountinfo: string;
  fs: CgroupFs;
  /** Every successful write, in order (paths relative to root). */
  writes: FakeWrite[];
  /** How many polls of a freezer state report "freezing" before "frozen" (default 0). */
  freezingPolls: number;
  /** How many rmdir calls on a dir fail EBUSY before succeeding, keyed by path relative to root. */
  busyRmdirs: Map<string, number>;
  /** Remove the whole temporary tree. */
  cleanup(): void;
}

function fsError(code: string, what: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${what}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = -((osConstants.errno as Record<string, number>)[code] ?? 1);
  return err;
}

/** v1 hierarchies of the fake (cpu and cpuacct co-mounted, like many distros). */
const V1_MOUNTS: Record<string, string[]> = {
  'cpu,cpuacct': ['cpu', 'cpuacct'],
  cpuset: ['cpuset'],
  devices: ['devices'],
  freezer: ['freezer'],
  memory: ['memory'],
  pids: ['pids'],
  systemd: ['name=systemd'],
};
const V2_CONTROLLERS = 'cpuset cpu io memory pids';

export function makeFakeCgroupTree(kind: CgroupKind): FakeCgroupTree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-cgroup-'));
  const lines: string[] = [];
  let id = 30;
  const put = (file: string, data: string) => fs.writeFileSync(path.join(root, file), data);
  const hierarchyOf = new Map<string, string[]>(); // mount dir name -> controllers ('unified' for cgroup2)
  if (kind === 'v2') {
    put('cgroup.controllers', V2_CONTROLLERS);
    put('cgroup.subtree_control', '');
    put('cgroup.procs', '1\n');
    lines.push(`${id++} 23 0:27 / ${root} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`);
  } else {
    for (const [dir, ctrls] of Object.entries(V1_MOUNTS)) {
      fs.mkdirSync(path.join(root, dir));
      hierarchyOf.set(dir, ctrls);
      put(`${dir}/cgroup.procs`, '1\n');
      if (ctrls.includes('cpuset')) {
        put(`${dir}/cpuset.cpus`, '0-3\n');
        put(`${dir}/cpuset.mems`, '0\n');
      }
      if (ctrls.includes('devices')) {
        put(`${dir}/devices.allow`, '');
        put(`${dir}/devices.deny`, '');
      }
      lines.push(`${id++} 23 0:${id} / ${path.join(root, dir)} rw,nosuid - cgroup cgroup rw,xattr,${ctrls.join(',')}`);
    }
    if (kind === 'hybrid') {
      fs.mkdirSync(path.join(root, 'unified'));
      hierarchyOf.set('unified', ['unified']);
      put('unified/cgroup.controllers', '');
      put('unified/cgroup.subtree_control', '');
      put('unified/cgroup.procs', '1\n');
      lines.push(`${id++} 23 0:${id} / ${path.join(root, 'unified')} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`);
    }
  }
  const unifiedRoot = kind === 'v2' ? root : kind === 'hybrid' ? path.join(root, 'unified') : undefined;
  const rel = (p: string) => path.relative(root, p);
  const isUnified = (p: string) => unifiedRoot !== undefined && (p === unifiedRoot || p.startsWith(unifiedRoot + '/'));
  const polls = new Map<string, number>();

  const tree: FakeCgroupTree = {
    root,
    mountinfo: lines.join('\n') + '\n',
    writes: [],
    freezingPolls: 0,
    busyRmdirs: new Map(),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
    fs: {
      read(file) {
        const text = fs.readFileSync(file, 'utf8');
        if (path.basename(file) === 'freezer.state' && text.trim() === 'FROZEN') {
          // Report FREEZING for the first `freezingPolls` reads after a freeze.
          const n = polls.get(file) ?? 0;
          if (n < tree.freezingPolls) {
            polls.set(file, n + 1);
            return 'FREEZING\n';
          }
        }
        return text;
      },
      write(file, data) {
        if (!fs.existsSync(file)) throw fsError('ENOENT', file);
        const name = path.basename(file);
        const dir = path.dirname(file);
        if (name === 'cgroup.subtree_control') {
          const have = new Set(fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean));
          const avail = fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
          for (const tok of data.split(/\s+/).filter(Boolean)) {
            if (!avail.includes(tok.slice(1))) throw fsError('EINVAL', `${file} ${tok}`);
            if (tok.startsWith('+')) have.add(tok.slice(1));
            else have.delete(tok.slice(1));
          }
          fs.writeFileSync(file, [...have].join(' '));
          // Children see the change at once: their cgroup.controllers and controller files.
          for (const child of nodeCgroupFs.subdirs(dir)) {
            fs.writeFileSync(path.join(dir, child, 'cgroup.controllers'), [...have].join(' '));
            const pidsMax = path.join(dir, child, 'pids.max');
            if (have.has('pids') && !fs.existsSync(pidsMax)) fs.writeFileSync(pidsMax, 'max');
          }
        } else if (name === 'cgroup.freeze') {
          fs.writeFileSync(file, data);
          fs.writeFileSync(path.join(dir, 'cgroup.events'), `populated 0\nfrozen ${data.trim() === '1' ? 1 : 0}\n`);
        } else if (name === 'freezer.state') {
          // A new freeze (THAWED -> FROZEN) starts the FREEZING period; rewriting FROZEN does not.
          if (fs.readFileSync(file, 'utf8').trim() !== 'FROZEN') polls.delete(file);
          fs.writeFileSync(file, data);
        } else if (name === 'cgroup.kill') {
          fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
        } else {
          fs.writeFileSync(file, data);
        }
        tree.writes.push({ file: rel(file), data });
      },
      exists: nodeCgroupFs.exists,
      subdirs: nodeCgroupFs.subdirs,
      mkdir(dir) {
        fs.mkdirSync(dir); // throws EEXIST/ENOENT like mkdir(2)
        const files: Record<string, string> = { 'cgroup.procs': '' };
        const parent = path.dirname(dir);
        if (isUnified(dir)) {
          const enabled = fs.readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').trim();
          Object.assign(files, {
            'cgroup.controllers': enabled,
            'cgroup.subtree_control': '',
            'cgroup.freeze': '0',
            'cgroup.events': 'populated 0\nfrozen 0\n',
            'cgroup.kill': '',
          });
          if (enabled.split(' ').includes('pids')) files['pids.max'] = 'max';
        } else {
          const top = rel(dir).split('/')[0];
          const ctrls = hierarchyOf.get(top) ?? [];
          if (ctrls.includes('cpuset')) Object.assign(files, { 'cpuset.cpus': '', 'cpuset.mems': '' });
          if (ctrls.includes('devices')) Object.assign(files, { 'devices.allow': '', 'devices.deny': '' });
          if (ctrls.includes('freezer')) files['freezer.state'] = 'THAWED';
          if (ctrls.includes('pids')) files['pids.max'] = 'max';
        }
        for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
      },
      rmdir(dir) {
        if (!fs.existsSync(dir)) throw fsError('ENOENT', dir);
        const busy = tree.busyRmdirs.get(rel(dir)) ?? 0;
        if (busy > 0) {
          tree.busyRmdirs.set(rel(dir), busy - 1);
          throw fsError('EBUSY', dir);
        }
        const entries = fs.readdirSync(dir, { withFileTypes: true });
        const procs = path.join(dir, 'cgroup.procs');
        if (entries.some((e) => e.isDirectory()) || (fs.existsSync(procs) && fs.readFileSync(procs, 'utf8').trim() !== '')) {
          throw fsError('EBUSY', dir);
        }
        for (const e of entries) fs.unlinkSync(path.join(dir, e.name));
        fs.rmdirSync(dir);
      },
    },
  };
  return tree;
}
