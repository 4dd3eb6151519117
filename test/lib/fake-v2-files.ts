// Test double helper: gives a directory of the fake cgroupfs (fake-cgroupfs.ts) the interface
// files the kernel creates for cgroup v2 controllers, with the kernel's initial contents, so the
// v2 controllers can be unit-tested without root or a v2 host. The fake itself only knows
// pids.max; this adds the rest per controller and can list extra controllers in
// cgroup.controllers (hugetlb, rdma are not in the fake's default set).
// Used only by tests (kept in test/lib, out of the runtime's src/).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Initial file contents per controller, as a fresh cgroup shows them (cgroup-v2.rst). */
const FILES: Record<string, Record<string, string>> = {
  memory: {
    'memory.max': 'max\n', 'memory.low': '0\n', 'memory.high': 'max\n', 'memory.swap.max': 'max\n',
    'memory.current': '0\n', 'memory.swap.current': '0\n', 'memory.peak': '0\n',
    'memory.stat': 'anon 0\nfile 0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
    'memory.swap.events': 'high 0\nmax 0\nfail 0\n',
  },
  cpu: {
    'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n',
    'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n',
  },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpus.effective': '0-3\n', 'cpuset.mems.effective': '0\n' },
  io: { 'io.weight': 'default 100\n', 'io.max': '', 'io.stat': '' },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  hugetlb: {
    'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.rsvd.max': 'max\n', 'hugetlb.2MB.current': '0\n', 'hugetlb.2MB.rsvd.current': '0\n',
    'hugetlb.2MB.events': 'max 0\n', 'hugetlb.1GB.max': 'max\n', 'hugetlb.1GB.current': '0\n', 'hugetlb.1GB.events': 'max 0\n',
  },
  rdma: { 'rdma.max': '', 'rdma.current': '' },
};

/** Create the interface files of `controllers` in `dir` (a directory of a fake tree). */
export function addV2ControllerFiles(dir: string, controllers: readonly string[]): void {
  for (const c of controllers) {
    const files = FILES[c];
    if (files === undefined) throw new Error(`fake-v2-files: no file set for controller ${c}`);
    for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  }
}

/** Overwrite one file of a fake cgroup (a counter the kernel would update, e.g. memory.current). */
export function setFakeFile(dir: string, name: string, data: string): void {
  fs.writeFileSync(path.join(dir, name), data);
}
