// The last steps of the init stage, after `go`: wait for `tsrun start` on the exec fifo, then
// hand the process over to the user program. Synchronous calls on the main thread only: the
// thread that calls execve is the one whose credentials, capabilities and no_new_privs were set.
import fs = require('node:fs');
import * as libc from '../../sys/libc';
import { CLOSE_RANGE_CLOEXEC, F_SETFD, O } from '../../sys/constants';
import { NSIG } from '../../sys/signals';
import type { Prepared } from './init-steps';
import { sealProcess } from './become-process';
import type { Sys } from '../../sys/sys';
import { SyscallError } from '../../errors';
import * as tty from '../../sys/tty';

const SIGKILL = 9;
const SIGSTOP = 19;

/** Node ignores SIGPIPE and SIGXFSZ, and ignored signals survive execve(2): put every one back. */
function resetSignals(): void {
  for (let sig = 1; sig < NSIG; sig++) {
    // 32 and 33 are glibc's internal real-time signals (SIGCANCEL, SIGSETXID); signal() refuses them.
    if (sig === SIGKILL || sig === SIGSTOP || sig === 32 || sig === 33) continue;
    libc.signalDefault(sig);
  }
  libc.unblockAllSignals();
}

/** Only 0-2 and the preserved fds survive execve (runtime-spec runtime.md, "Errors, warnings, fds"). */
function limitFds(preserveFds: number): void {
  // Mark, don't close: libuv still owns some fds and closing them under it is undefined behaviour.
  libc.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  // Node sets FD_CLOEXEC on 0-2; the program must get them.
  for (let fd = 0; fd < 3 + preserveFds; fd++) {
    try {
      libc.fcntl(fd, F_SETFD, 0);
    } catch {
      // a closed stdio fd stays closed
    }
  }
}

/**
 * process.terminal: the pty slave becomes the controlling terminal of the container's session (the
 * init stage is a session leader: the parent spawns it detached, setsid(2)) and its stdin, stdout
 * and stderr, as runc's init does (system.Setctty, dupStdio). Anything written to 0-2 after this,
 * our own last words included, goes to the terminal.
 */
function attachTerminal(slave: number): void {
  tty.setControllingTty(slave);
  for (const fd of [0, 1, 2]) tty.dup2(slave, fd);
}

/** `afterOpen` runs once `start` has opened the fifo (startContainer hooks), before any final step. */
export function finalExec(sys: Sys, p: Prepared, afterOpen: (fifo: number) => void = () => {}): never {
  try {
    // Blocks until `tsrun start` opens the fifo for reading. Through /proc/self/fd (held since
    // before pivot_root, init-steps.ts) and our O_PATH fd, because the fifo's host path is gone.
    let w: number;
    try {
      w = libc.openat(p.fdDir, String(p.fifoFd), O.WRONLY | O.CLOEXEC);
    } catch (e) {
      // EINTR: a signal Node handles (SIGTERM, SIGINT: `tsrun kill` of a created container)
      // interrupted the wait. Node's handler re-raises it, but PID 1 of a PID namespace ignores
      // its own default-action signals, so end here, quietly, as runc's init does on SIGTERM.
      if (e instanceof SyscallError && e.errnoCode === 'EINTR') process.exit(1);
      throw e;
    }
    // No process in config.json: `start` refuses such a container and never opens the fifo.
    if (!p.executable) process.exit(1);
    // Before resetSignals: spawning the hooks needs libuv's SIGCHLD handling.
    afterOpen(w);
    resetSignals();
    // Before limitFds: dup2 leaves 0-2 without FD_CLOEXEC and the slave's own fd (3 or more, close-
    // on-exec) goes away at execve.
    if (p.ttySlave !== undefined) attachTerminal(p.ttySlave);
    limitFds(p.preserveFds);
    fs.writeSync(w, '0');
    // Last: the fewer syscalls after it, the fewer a profile must allow. What may follow the load
    // is listed in src/security/after-seccomp.ts; a failure is still reported on stderr.
    if (p.seal) sealProcess(sys, p.seal, 'created');
    libc.execve(p.executable, p.args, p.env);
  } catch (e) {
    try {
      fs.writeSync(2, `tsrun init: ${(e as Error).message}\n`);
    } catch {
      // stderr may be closed
    }
    process.exit(127);
  }
}
