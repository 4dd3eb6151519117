// Terminal ioctls and dup2 through koffi: the raw calls src/linux/pty.ts, the init stage's
// final-exec.ts and the relay (src/container/tty-relay.ts) build on. Thin wrappers only, no policy.
// The request numbers are asm-generic's (include/uapi/asm-generic/ioctls.h), which x86_64 and
// arm64 both use; ioctl_tty(2) and pty(7) describe each request.
import { koffi } from './koffi';
import { SyscallError } from '../errors';
import { libcFunction } from './libc';

/** Unlock (0) or lock the slave of a pty master: int * argument (unlockpt(3)). */
const TIOCSPTLCK = 0x40045431;
/** Number of the slave of a pty master: unsigned int * result (ptsname(3)). */
const TIOCGPTN = 0x80045430;
/** Open the slave of a pty master by fd, with the open flags as argument (Linux 4.13+). */
const TIOCGPTPEER = 0x5441;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
/** Make the terminal the controlling terminal of the calling session leader. */
const TIOCSCTTY = 0x540e;

type Fn = (...args: unknown[]) => unknown;
let fns: { ioctl: Fn; dup2: Fn; isatty: Fn; fchown: Fn; fstatfs: Fn; tcgetattr: Fn; tcsetattr: Fn; cfmakeraw: Fn } | undefined;
function f() {
  if (!fns) {
    fns = {
      ioctl: libcFunction('int ioctl(int fd, unsigned long request, ...)') as Fn,
      dup2: libcFunction('int dup2(int oldfd, int newfd)') as Fn,
      isatty: libcFunction('int isatty(int fd)') as Fn,
      fchown: libcFunction('int fchown(int fd, uint32_t uid, uint32_t gid)') as Fn,
      fstatfs: libcFunction('int fstatfs(int fd, void *buf)') as Fn,
      // struct termios is opaque here: saved, handed to cfmakeraw(3), put back.
      tcgetattr: libcFunction('int tcgetattr(int fd, void *termios)') as Fn,
      tcsetattr: libcFunction('int tcsetattr(int fd, int when, const void *termios)') as Fn,
      cfmakeraw: libcFunction('void cfmakeraw(void *termios)') as Fn,
    };
  }
  return fns;
}

/** Binds the FFI functions now (the init stage must load everything before pivot_root). */
export function preload(): void {
  f();
}

function check(name: string, ret: unknown, path?: string): number {
  const n = Number(ret);
  if (n < 0) throw new SyscallError(name, koffi().errno(), path);
  return n;
}

/** ioctl(fd, TIOCSPTLCK, &lock). */
export function setPtyLock(master: number, locked: boolean): void {
  const arg = Buffer.alloc(4);
  arg.writeInt32LE(locked ? 1 : 0, 0);
  check('ioctl(TIOCSPTLCK)', f().ioctl(master, TIOCSPTLCK, 'void *', arg));
}

/** ioctl(fd, TIOCGPTN): the N of /dev/pts/N. */
export function ptyNumber(master: number): number {
  const out = Buffer.alloc(4);
  check('ioctl(TIOCGPTN)', f().ioctl(master, TIOCGPTN, 'void *', out));
  return out.readUInt32LE(0);
}

/**
 * ioctl(fd, TIOCGPTPEER, flags): a new fd of the slave, opened through the master itself, so no
 * path under /dev/pts is looked up (a path could be swapped under us: runc's CVE-2025-52565).
 */
export function openPtyPeer(master: number, flags: number): number {
  return check('ioctl(TIOCGPTPEER)', f().ioctl(master, TIOCGPTPEER, 'long', flags));
}

export interface WinSize { rows: number; cols: number }

/** ioctl(fd, TIOCSWINSZ): struct winsize is four unsigned shorts (rows, cols, xpixel, ypixel). */
export function setWinsize(fd: number, size: WinSize): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(size.rows, 0);
  ws.writeUInt16LE(size.cols, 2);
  check('ioctl(TIOCSWINSZ)', f().ioctl(fd, TIOCSWINSZ, 'void *', ws));
}

/** ioctl(fd, TIOCGWINSZ). */
export function getWinsize(fd: number): WinSize {
  const ws = Buffer.alloc(8);
  check('ioctl(TIOCGWINSZ)', f().ioctl(fd, TIOCGWINSZ, 'void *', ws));
  return { rows: ws.readUInt16LE(0), cols: ws.readUInt16LE(2) };
}

/** ioctl(fd, TIOCSCTTY, 0): the caller must be a session leader without a controlling terminal. */
export function setControllingTty(fd: number): void {
  check('ioctl(TIOCSCTTY)', f().ioctl(fd, TIOCSCTTY, 'long', 0));
}

/** dup2(2); the copy at `newfd` does not have FD_CLOEXEC. */
export function dup2(oldfd: number, newfd: number): void {
  check('dup2', f().dup2(oldfd, newfd));
}

export function isatty(fd: number): boolean {
  return (f().isatty(fd) as number) === 1;
}

/** fchown(2); -1 (0xffffffff) leaves that id unchanged. */
export function fchown(fd: number, uid: number, gid: number, path?: string): void {
  check('fchown', f().fchown(fd, uid >>> 0, gid >>> 0), path);
}

/** statfs(2) f_type of the filesystem an fd is on (the first word of struct statfs). */
export function fsType(fd: number): bigint {
  const buf = Buffer.alloc(120); // sizeof(struct statfs) on LP64
  check('fstatfs', f().fstatfs(fd, buf));
  return buf.readBigInt64LE(0);
}

/** glibc's struct termios is 60 bytes on x86_64 and arm64; a little slack costs nothing. */
const TERMIOS_SIZE = 64;
const TCSANOW = 0;

/**
 * Puts a terminal in raw mode with cfmakeraw(3) and returns its previous settings for
 * restoreTermios. cfmakeraw clears OPOST too, as runc's console.SetRaw does: the container's own
 * pty already turns "\n" into "\r\n", and a second ONLCR on our side would print "\r\r\n"
 * (libuv's raw mode keeps ONLCR, which is why setRawMode is not used).
 */
export function makeRaw(fd: number): Buffer {
  const saved = Buffer.alloc(TERMIOS_SIZE);
  check('tcgetattr', f().tcgetattr(fd, saved));
  const raw = Buffer.from(saved);
  f().cfmakeraw(raw);
  check('tcsetattr', f().tcsetattr(fd, TCSANOW, raw));
  return saved;
}

export function restoreTermios(fd: number, saved: Buffer): void {
  check('tcsetattr', f().tcsetattr(fd, TCSANOW, saved));
}
