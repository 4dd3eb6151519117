// The only place that touches cgroupfs files. Everything goes through the small `CgroupFs`
// interface so unit tests can run the managers against a fake tree that behaves like the kernel
// (a mkdir that creates control files, an rmdir that ignores them); `nodeCgroupFs` is the real one.
// Synchronous node:fs calls are fine here: cgroupfs is in-memory and never blocks on I/O.
import fs = require('node:fs');
import path = require('node:path');
import { CgroupError, fsErrorCode } from './errors';

export interface CgroupFs {
  /** Whole file as text; throws the Node fs error. */
  read(file: string): string;
  /** One write(2) of `data`; throws the Node fs error. */
  write(file: string, data: string): void;
  exists(p: string): boolean;
  /** mkdir(2) of one level; throws EEXIST/ENOENT like the syscall. */
  mkdir(dir: string): void;
  /** rmdir(2); on cgroupfs control files do not count as contents. */
  rmdir(dir: string): void;
  /** Names of the child directories (child cgroups) of `dir`. */
  subdirs(dir: string): string[];
}

export const nodeCgroupFs: CgroupFs = {
  read: (file) => fs.readFileSync(file, 'utf8'),
  write: (file, data) => {
    // O_WRONLY without O_CREAT: a missing control file means the controller is absent, and that
    // must fail (ENOENT) instead of creating a plain file. kernfs parses each write(2) as one
    // value (devices.allow takes one rule per write), so the value goes out in a single call.
    // Some files are write-only (devices.allow, cgroup.kill are --w-------), hence not O_RDWR.
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  },
  exists: (p) => fs.existsSync(p),
  mkdir: (dir) => fs.mkdirSync(dir, { mode: 0o755 }),
  rmdir: (dir) => fs.rmdirSync(dir),
  subdirs: (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name),
};

/** Read a control file, trimmed; CgroupError on failure. */
export function readCgroupFile(cfs: CgroupFs, file: string): string {
  try {
    return cfs.read(file).trim();
  } catch (err) {
    const code = fsErrorCode(err);
    throw new CgroupError(`read ${file}: ${code ?? String(err)}`, { path: file, errnoCode: code, cause: err });
  }
}

/** Write one value to a control file; CgroupError naming the file, the value and the errno. */
export function writeCgroupFile(cfs: CgroupFs, file: string, value: string): void {
  try {
    cfs.write(file, value);
  } catch (err) {
    const code = fsErrorCode(err);
    const hint = code === 'ENOENT' ? ' (is the controller mounted/enabled for this cgroup?)' : '';
    throw new CgroupError(`write ${JSON.stringify(value)} to ${file}: ${code ?? String(err)}${hint}`, {
      path: file,
      errnoCode: code,
      cause: err,
    });
  }
}

/** Pids listed in `<dir>/cgroup.procs`; [] when the cgroup is gone. */
export function readProcs(cfs: CgroupFs, dir: string): number[] {
  let text: string;
  try {
    text = cfs.read(path.join(dir, 'cgroup.procs'));
  } catch (err) {
    if (fsErrorCode(err) === 'ENOENT') return [];
    throw new CgroupError(`read ${dir}/cgroup.procs: ${fsErrorCode(err) ?? String(err)}`, { path: dir, cause: err });
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => Number(l))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Pids of `dir` and every cgroup below it (a container may create sub-cgroups). */
export function readProcsRecursive(cfs: CgroupFs, dir: string): number[] {
  const out = new Set<number>(readProcs(cfs, dir));
  let children: string[];
  try {
    children = cfs.subdirs(dir);
  } catch (err) {
    if (fsErrorCode(err) === 'ENOENT') return [...out];
    throw new CgroupError(`list ${dir}: ${fsErrorCode(err) ?? String(err)}`, { path: dir, cause: err });
  }
  for (const child of children) for (const pid of readProcsRecursive(cfs, path.join(dir, child))) out.add(pid);
  return [...out].sort((a, b) => a - b);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Block the thread for `ms` (used only for short polls: freezer state, rmdir while tasks exit). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
