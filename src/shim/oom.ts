// OOM events (/tasks/oom) from the containers' memory cgroups, as the runc shim's OOM epoller
// (runtime/v2/runc/task: oomv1 / oomv2) does:
//   v1  cgroup-v1/memory.rst section 9 (memory.oom_control notification): an eventfd registered
//       by writing "<eventfd> <fd of memory.oom_control>" to the cgroup's cgroup.event_control;
//       the kernel adds to the eventfd when the cgroup is under OOM (and when it is removed).
//   v2  cgroup-v2.rst "memory.events": a modified-file notification (inotify) when a count in it
//       changes; oom_kill is the one that counts.
// On v1 every container of this shim shares one eventfd, so one libuv pool thread waits in
// read(2) whatever the number of containers (koffi's async call: Node cannot poll an eventfd).
// A wake-up does not say which cgroup it was for, so each container's OOM-kill count is compared
// with the last one seen, and an event is published for each that grew. The notification comes
// when the cgroup goes under OOM, a moment before the killer's count moves: the counts are read
// again a little later, and a last time when the task is deleted (remove()).
import fs = require('node:fs');
import path = require('node:path');
import * as libc from '../sys/libc';
import type { MemoryCgroup } from '../api';

const RECHECK_MS = [50, 250, 1000];

interface Watched {
  mem: MemoryCgroup;
  seen: number;
  watcher?: fs.FSWatcher;
}

export class OomWatcher {
  private readonly watched = new Map<string, Watched>();
  private efd?: number;
  private closed = false;

  constructor(private readonly onOom: (id: string) => void, private readonly onError: (m: string) => void) {}

  /** Starts watching the memory cgroup of container `id`. */
  add(id: string, mem: MemoryCgroup): void {
    const w: Watched = { mem, seen: safeCount(mem) };
    if (mem.version === 1) {
      this.efd ??= this.startEventfd();
      const oomControl = fs.openSync(path.join(mem.dir, 'memory.oom_control'), fs.constants.O_RDONLY);
      try {
        fs.writeFileSync(path.join(mem.dir, 'cgroup.event_control'), `${this.efd} ${oomControl}`);
      } finally {
        // The registration holds its own reference (mm/memcontrol.c memcg_write_event_control).
        fs.closeSync(oomControl);
      }
    } else {
      w.watcher = fs.watch(path.join(mem.dir, 'memory.events'), () => this.scan());
      w.watcher.on('error', () => w.watcher?.close());
    }
    this.watched.set(id, w);
  }

  /**
   * Stops watching `id`: call it before its cgroup is removed (v1's registration goes with the
   * cgroup). The count is read one last time: a process killed by the OOM killer can exit, and
   * its task be deleted, before the count had moved at the wake-up or a re-read came round.
   */
  remove(id: string): void {
    const w = this.watched.get(id);
    if (!w) return;
    this.check(id, w);
    w.watcher?.close();
    this.watched.delete(id);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watched.values()) w.watcher?.close();
    this.watched.clear();
    // The pool thread waiting in read(2) must return: libuv joins its pool threads when the
    // process exits (uv_library_shutdown), so a read that never returns would keep the shim alive
    // after Shutdown. Adding to the counter wakes it (eventfd(2)); `closed` ends the loop.
    if (this.efd !== undefined) {
      const one = Buffer.alloc(8);
      one.writeBigUInt64LE(1n);
      fs.writeSync(this.efd, one);
    }
  }

  private startEventfd(): number {
    const efd = libc.eventfd();
    const buf = Buffer.alloc(8);
    const loop = (): void => {
      libc.readAsync(efd, buf).then(
        () => {
          if (this.closed) return;
          this.scan();
          loop();
        },
        (e: Error) => this.onError(`oom eventfd: ${e.message}`),
      );
    };
    loop();
    return efd;
  }

  private check(id: string, w: Watched): void {
    const n = safeCount(w.mem);
    if (n > w.seen) {
      w.seen = n;
      this.onOom(id);
    }
  }

  /** Publishes an event for each container whose OOM-kill count grew; reads again a little later. */
  private scan(): void {
    const once = (): void => {
      for (const [id, w] of this.watched) this.check(id, w);
    };
    once();
    for (const ms of RECHECK_MS) setTimeout(once, ms).unref();
  }
}

function safeCount(mem: MemoryCgroup): number {
  try {
    return mem.oomKills();
  } catch {
    // the cgroup is being removed
    return 0;
  }
}
