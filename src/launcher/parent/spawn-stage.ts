// How a stage (the init stage, the exec stage) is started: posix_spawn(3) of node from the calling
// thread, and a ChildProcess view of it (adopted-child.ts), instead of child_process.spawn.
//
// Why (issue 11, measured with TSRUN_TRACE and bench/run.sh): the stage's spawn is on the critical
// path of `create`, `run` and `exec`, and child_process costs there about 12 ms that posix_spawn
// does not: loading node:child_process and node:net (5-7 ms at their first require) and libuv's
// fork(2) of the whole Node process (page tables of ~50 MB, 6-8 ms), where glibc's posix_spawn
// clones with CLONE_VM|CLONE_VFORK and execs at once. What the stage inherits is the same: the
// calling thread's namespaces (the namespace window has unshared them on that thread:
// ns-window.ts), credentials and cwd, the fds the stdio entries put in place and no others (the
// caller marks every fd close-on-exec first, CVE-2024-21626), every signal at its default and
// none blocked (sys/spawn.ts), and an environment of our choosing.
//
// The stdio entries mean what they mean to child_process: 'inherit' our fd of the same number,
// 'ignore' /dev/null, a number that fd of ours, 'pipe' a new socketpair (libuv's 'pipe' is one
// too) whose other end we keep. Our ends become net.Sockets only when someone reads `stdio`, so
// node:net is loaded after the spawn, while the stage boots, not before it.
import type { ChildProcess } from 'node:child_process';
import type * as Net from 'node:net';
import { RuntimeError } from '../../errors';
import * as libc from '../../sys/libc';
import { F_DUPFD_CLOEXEC, O } from '../../sys/constants';
import { spawnProcess, type FileAction } from '../../sys/spawn';
import { socketPair } from '../../sys/unix-socket';
import { adoptChild } from './adopted-child';

export type StageStdio = 'pipe' | 'ignore' | 'inherit' | number;

export interface StageSpawn {
  /** argv[0] is the program's path (node). */
  argv: string[];
  env: Record<string, string>;
  /** The stage's fds 0..n-1, in order. */
  stdio: StageStdio[];
  /** setsid(2) in the child (child_process's `detached`). */
  setsid: boolean;
  /** The stage in errors: "cannot start <who>: ...". */
  who: string;
}

/**
 * Spawns the stage and returns it as a ChildProcess (pid, stdio, 'exit', kill, unref). Throws a
 * RuntimeError('spawn') when the spawn fails (posix_spawn reports an exec failure itself: the
 * node binary gone, EAGAIN under a pids limit); nothing is left open then.
 */
export function spawnStage(s: StageSpawn): ChildProcess {
  const n = s.stdio.length;
  const ours: (number | undefined)[] = new Array(n).fill(undefined);
  // The fds the child gets, each first moved above n (close-on-exec in our process): no dup2 into
  // a target can then overwrite the source of a later one, whatever numbers the entries carry.
  const sources: number[] = [];
  const actions: FileAction[] = [];
  const high = (fd: number): number => {
    const d = libc.fcntl(fd, F_DUPFD_CLOEXEC, n);
    sources.push(d);
    return d;
  };
  try {
    s.stdio.forEach((e, i) => {
      if (e === 'ignore') {
        actions.push({ op: 'open', fd: i, path: '/dev/null', flags: O.RDWR });
      } else if (e === 'inherit' || e === i) {
        // dup2 onto itself: glibc then clears FD_CLOEXEC (posix_spawn_file_actions_adddup2(3)).
        actions.push({ op: 'dup2', fd: i, newfd: i });
      } else if (e === 'pipe') {
        const [mine, theirs] = socketPair();
        ours[i] = mine;
        try {
          actions.push({ op: 'dup2', fd: high(theirs), newfd: i });
        } finally {
          libc.close(theirs);
        }
      } else {
        actions.push({ op: 'dup2', fd: high(e), newfd: i });
      }
    });
    const env = Object.entries(s.env).map(([k, v]) => `${k}=${v}`);
    const pid = spawnProcess({ path: s.argv[0], argv: s.argv, env, actions, setsid: s.setsid });
    return adoptChild(pid, () => ours.map((fd) => (fd === undefined ? null : socketOf(fd))) as ChildProcess['stdio']);
  } catch (e) {
    for (const fd of ours) if (fd !== undefined) libc.close(fd);
    throw new RuntimeError('spawn', `cannot start ${s.who}: ${(e as Error).message}`);
  } finally {
    for (const fd of sources) libc.close(fd);
  }
}

function socketOf(fd: number): Net.Socket {
  // Required here, not at the top: node:net costs milliseconds that belong after the spawn.
  const net = require('node:net') as typeof Net;
  return new net.Socket({ fd, readable: true, writable: true });
}
