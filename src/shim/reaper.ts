// The shim is a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER), as containerd's shims are:
// when a container's PID namespace init exits, the kernel kills the rest of the namespace and
// reparents them to us (pid_namespaces(7)), and processes of a container without its own PID
// namespace that are orphaned land here too. libuv reaps the children Node spawned (the init
// stages, whose exit is the task's exit) in its own SIGCHLD handler; this reaps the others.
// A zombie child still there a moment after SIGCHLD, that is no task's process, is an orphan:
// libuv has had its turn by then (it waits for its children in the same loop iteration).
import fs = require('node:fs');
import * as libc from '../sys/libc';
import { PR_SET_CHILD_SUBREAPER } from '../sys/constants';

const SETTLE_MS = 100;

function children(): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      // proc(5) /proc/[pid]/task/[tid]/children: children of that thread, space-separated.
      out.push(...fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch {
      // thread gone
    }
  }
  return out;
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Becomes a subreaper and reaps orphans; `owned` says which pids are Node's own children. */
export function startReaper(owned: (pid: number) => boolean): void {
  libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
  let pending = false;
  process.on('SIGCHLD', () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      for (const pid of children()) {
        if (!owned(pid) && isZombie(pid)) void libc.waitpidAsync(pid).catch(() => {});
      }
    }, SETTLE_MS);
  });
}
