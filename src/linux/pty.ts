// The container's pseudo-terminal (config.md "Process": terminal, consoleSize; runtime-linux.md
// "/dev/console"): a pty pair from the container's own devpts, and the slave bound onto
// /dev/console. Used by the init stage (create/run) and reusable by `exec -t`. runc's
// libcontainer/console_linux.go and init_linux.go (setupConsole, mountConsole) are the model.
import type { Sys } from '../sys/sys';
import * as tty from '../sys/tty';
import { MS_BIND, O, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, S_IFCHR, S_IFMT } from '../sys/constants';
import { RuntimeError } from '../errors';
import { ensureFileInRoot, fdPath } from './in-root';
import { sendFd } from '../sys/unix-socket';

/** statfs(2) magic of devpts (linux/magic.h). */
const DEVPTS_SUPER_MAGIC = 0x1cd1n;
/** devices.txt: 5:2 is the pty multiplexer (/dev/ptmx and every devpts instance's ptmx). */
const PTMX_MAJOR = 5;
const PTMX_MINOR = 2;
/** devices.txt: Unix98 pty slaves use majors 136-143. */
const PTS_MAJOR_FIRST = 136;
const PTS_MAJOR_LAST = 143;

export interface PtyPair {
  /** The master: handed to the console socket client (or tsrun's own relay). */
  master: number;
  /** The slave, opened through the master (TIOCGPTPEER): the process's stdio and /dev/console. */
  slave: number;
  /** N of /dev/pts/N in the container's devpts. */
  index: number;
}

/** glibc's gnu_dev_major/gnu_dev_minor of a 64-bit dev_t. */
export function majorMinor(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

function expectCharDev(sys: Sys, fd: number, what: string, ok: (major: number, minor: number) => boolean): void {
  const st = sys.fstat(fd);
  const [major, minor] = majorMinor(st.rdev);
  if ((st.mode & S_IFMT) !== S_IFCHR || !ok(major, minor)) {
    throw new RuntimeError('pty', `${what} is not a pty device (${major}:${minor})`);
  }
}

/**
 * Opens a pty pair on the devpts instance the root's /dev/ptmx leads to. `root` is a directory fd
 * (or a path) of the container's root: /dev/ptmx is resolved inside it (RESOLVE_IN_ROOT), so the
 * usual /dev/ptmx -> pts/ptmx symlink lands on the container's own devpts and never on the host's
 * (runtime-linux.md /dev/ptmx; a new devpts instance per container since Linux 4.7). The slave is
 * reached through the master with TIOCGPTPEER, never by a /dev/pts/N lookup a container process
 * could race (runc's fix for CVE-2025-52565 does the same). Both fds are close-on-exec and
 * O_NOCTTY: the caller decides which process gets the terminal.
 */
export function openPtyPair(sys: Sys, root: number | string): PtyPair {
  const rootFd = typeof root === 'number' ? root : sys.open(root, O.PATH | O.DIRECTORY | O.CLOEXEC);
  let master = -1;
  try {
    master = sys.openat2(rootFd, 'dev/ptmx', O.RDWR | O.NOCTTY | O.CLOEXEC, 0,
      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, '/dev/ptmx');
    expectCharDev(sys, master, '/dev/ptmx', (ma, mi) => ma === PTMX_MAJOR && mi === PTMX_MINOR);
    // unlockpt(3): a new slave is locked until the master says otherwise (pty(7)).
    tty.setPtyLock(master, false);
    const index = tty.ptyNumber(master);
    const slave = tty.openPtyPeer(master, O.RDWR | O.NOCTTY | O.CLOEXEC);
    try {
      expectCharDev(sys, slave, `pty slave ${index}`, (ma) => ma >= PTS_MAJOR_FIRST && ma <= PTS_MAJOR_LAST);
      if (tty.fsType(slave) !== DEVPTS_SUPER_MAGIC) throw new RuntimeError('pty', `pty slave ${index} is not on a devpts filesystem`);
    } catch (e) {
      sys.close(slave);
      throw e;
    }
    return { master, slave, index };
  } catch (e) {
    if (master >= 0) sys.close(master);
    throw e;
  } finally {
    if (typeof root !== 'number') sys.close(rootFd);
  }
}

/** TIOCSWINSZ on either side of a pty (the kernel keeps one size per pair). */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  tty.setWinsize(fd, { rows, cols });
}

/**
 * Bind-mounts the pty slave onto /dev/console inside the root (runtime-linux.md: "/dev/console
 * ... set up if terminal is enabled ... by bind mounting the pseudoterminal pty"). The mount point
 * file is created when missing, as runc's mountConsole does. Both ends go through /proc/self/fd:
 * the source is the slave we hold (no /dev/pts/N path), the target an O_PATH fd confined to the
 * root (in-root.ts), so a symlink at /dev/console cannot redirect the mount.
 */
export function mountConsole(sys: Sys, rootFd: number, slave: number): void {
  const target = ensureFileInRoot(sys, rootFd, '/dev/console', '/dev/console');
  try {
    sys.mount(fdPath(slave), fdPath(target), null, MS_BIND, null);
  } finally {
    sys.close(target);
  }
}

/**
 * The whole console of a container process (create's init and exec's stage alike): a pty pair from
 * the root's devpts, consoleSize applied (runc skips a zero dimension), `onSlave` for what the
 * caller does with the slave first (bind it onto /dev/console, chown it), then the master sent
 * over `sock` the way runc sends it to --console-socket (one message, body "/dev/ptmx", one fd).
 * The master and the socket are closed here; the client holds the master from now on. Returns
 * the slave.
 */
export function makeConsole(sys: Sys, root: number, sock: number, size: { height: number; width: number } | undefined, onSlave: (slave: number) => void): number {
  try {
    const pty = openPtyPair(sys, root);
    try {
      if (size && size.height > 0 && size.width > 0) setWindowSize(pty.master, size.height, size.width);
      onSlave(pty.slave);
      sendFd(sock, pty.master, '/dev/ptmx');
    } catch (e) {
      sys.close(pty.slave);
      throw e;
    } finally {
      sys.close(pty.master);
    }
    return pty.slave;
  } finally {
    sys.close(sock);
  }
}
