// --preserve-fds N hands fds 3 .. 3+N-1 of tsrun's caller to the container. Those numbers may not
// be the caller's at all: when the caller has fewer fds open, Node's own take the free numbers at
// start-up (epoll, eventfd, io_uring, libuv's signal and wake-up pipes). Passing those would give
// the container the runtime's internals: libuv reads a handle pointer from its signal pipe, and
// an epoll fd lets the container add events whose data tsrun then dereferences; junk written there
// crashes a root process on the host (the CVE-2024-21626 class: a runtime fd in the container).
// Node marks every inherited fd close-on-exec at start-up, so the flag cannot tell them apart;
// what can: the runtime's fds are anonymous-inode event objects, or pipes whose both ends are held
// by this process. A caller passes files, sockets, ttys or one end of a pipe. runc refuses a
// preserved fd it cannot stat, too ("unable to stat preserved-fd").
import fs = require('node:fs');
import { RuntimeError } from '../../errors';

/** Anonymous-inode objects only an event loop holds (fs/anon_inodes.c names). */
const RUNTIME_ANON = /^anon_inode:\[?(eventpoll|eventfd|io_uring|signalfd|timerfd)\]?$/;

function links(): Map<number, string> {
  const m = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      m.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the fd readdir itself used, closed by now
    }
  }
  return m;
}

export function checkPreservedFds(n: number): void {
  if (n === 0) return;
  const held = links();
  for (let fd = 3; fd < 3 + n; fd++) {
    const target = held.get(fd);
    if (target === undefined) throw new RuntimeError('preserve-fds', `--preserve-fds ${n}: fd ${fd} is not open in the caller`);
    const internalPipe = target.startsWith('pipe:') && [...held].some(([other, t]) => other !== fd && t === target);
    if (RUNTIME_ANON.test(target) || internalPipe) {
      throw new RuntimeError('preserve-fds', `--preserve-fds ${n}: fd ${fd} (${target}) was not passed by the caller: it is tsrun's own`);
    }
  }
}
