// The terminal of an exec'd process (`tsrun exec -t`), made by the exec stage after it joined the
// container's mount namespace and while it is still root: a pty pair from the container's own
// devpts (src/linux/pty.ts), consoleSize applied, the slave given to the process's user (runc's
// fixStdioPermissions), and the master sent over the console fd with SCM_RIGHTS exactly as
// `create` sends it (to --console-socket, or to tsrun exec's own relay).
import * as tty from '../../sys/tty';
import * as unix from '../../sys/unix-socket';
import { makeConsole } from '../../linux/pty';
import type { Sys } from '../../sys/sys';
import { RuntimeError } from '../../errors';
import type { ExecConfig } from '../../stage-config/exec-config';

/** Binds the FFI functions while the host's libc path still resolves (before setns). */
export function preloadExecPty(): void {
  tty.preload();
  unix.preload();
}

/**
 * Returns the path the process opens its terminal by: the slave through /proc/self/fd in the
 * spawned child (which still holds the stage's fds until its execve), so it is exactly the pty
 * made here, opened without O_NOCTTY by a new session leader, which makes it the controlling
 * terminal (exec-steps.ts).
 */
export function openExecPty(sys: Sys, cfg: ExecConfig, root: number): string {
  const sock = cfg.consoleFd;
  if (sock === undefined) throw new RuntimeError('console', 'process.terminal is set but tsrun exec passed no console socket');
  const slave = makeConsole(sys, root, sock, cfg.process.consoleSize, (fd) => tty.fchown(fd, cfg.process.uid, -1, '/dev/pts'));
  return `/proc/self/fd/${slave}`;
}
