// Where a container's limits are on the host: the checks read the cgroup files the runtime wrote
// (cgroup v1 here, e.g. memory.limit_in_bytes, pids.max) rather than asking inside the container,
// so they do not depend on exec or on how /sys/fs/cgroup is mounted in the container.
import fs from 'node:fs';

/** The host cgroup dir of `pid` in the v1 hierarchy of `controller`, from /proc/<pid>/cgroup. */
export function hostCgroupDir(pid: number, controller: string): string | undefined {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  return line === undefined ? undefined : `/sys/fs/cgroup/${controller}${line.split(':')[2]}`;
}

/** The content of one cgroup file of `pid`'s cgroup (trimmed), or undefined when unreadable. */
export function cgroupValue(pid: number, controller: string, file: string): string | undefined {
  const dir = hostCgroupDir(pid, controller);
  try {
    return dir === undefined ? undefined : fs.readFileSync(`${dir}/${file}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
