// The shim is a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER), as containerd's shims are:
// when a container's PID namespace init exits, the kernel kills the rest of the namespace and
// reparents them to us (pid_namespaces(7)), and processes of a container without its own PID
// namespace that are orphaned land here too. So do exec processes: the exec stage that spawned
// one exits at once, and the process is reparented to us; the shim then reaps it and reports its
// exit status (runc shim: the same, through its reaper's exit subscription).
//
// libuv reaps the children Node spawned (the init stages, whose exit is the task's exit) in its
// own SIGCHLD handler, by pid. On each SIGCHLD this tries waitpid(WNOHANG) on each watched pid (an
// exec process: ECHILD while it is still the stage's child), and reaps the other zombies a moment
// later: a zombie child that is neither Node's nor watched is an orphan (libuv has had its turn by
// then; it waits for its children in the same loop iteration). A zombie reparented to us raises
// SIGCHLD too (kernel/exit.c reparent_leader), so an exec process that died before its stage
// exited is not missed.
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

export class Reaper {
  private readonly watched = new Map<number, (rawStatus: number) => void>();
  private pending = false;

  /** `owned`: the pids that are Node's own children (libuv reaps those). */
  constructor(private readonly owned: (pid: number) => boolean) {}

  /** Becomes a subreaper and starts reaping. */
  start(): void {
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
    process.on('SIGCHLD', () => this.onChild());
  }

  /**
   * `pid` is (or is about to become) our child: `onExit` gets its raw wait status once it is
   * reaped. Call it before the process can be reparented to us.
   */
  watch(pid: number, onExit: (rawStatus: number) => void): void {
    this.watched.set(pid, onExit);
    this.check();
  }

  /** Reaps the watched pids that have exited. */
  check(): void {
    for (const [pid, onExit] of this.watched) {
      let raw: number | undefined;
      try {
        raw = libc.waitpidNoHang(pid);
      } catch {
        // ECHILD: not our child yet (the stage still holds it)
        continue;
      }
      if (raw === undefined) continue;
      this.watched.delete(pid);
      onExit(raw);
    }
  }

  private onChild(): void {
    this.check();
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.check();
      for (const pid of children()) {
        if (!this.owned(pid) && !this.watched.has(pid) && isZombie(pid)) void libc.waitpidAsync(pid).catch(() => {});
      }
    }, SETTLE_MS);
  }
}
