// AF_UNIX stream sockets through koffi for the one place tsrun needs them outside libuv: handing
// the seccomp notify fd to a listener with SCM_RIGHTS (unix(7), cmsg(3)) from the init stage's
// main thread, synchronously, right before execve. Layouts are the LP64 ones (x86_64, arm64).
import koffi from 'koffi';
import { SyscallError } from '../errors';
import { close } from './libc';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** sizeof(sun_path) in struct sockaddr_un. */
const SUN_PATH_MAX = 108;

type Fn = (...args: unknown[]) => unknown;
let fns: { socket: Fn; connect: Fn; sendmsg: Fn } | undefined;
function f() {
  if (!fns) {
    const libc = koffi.load('libc.so.6');
    koffi.struct('tsrun_iovec', { base: 'void *', len: 'size_t' });
    koffi.struct('tsrun_msghdr', {
      name: 'void *', namelen: 'uint32', iov: 'tsrun_iovec *', iovlen: 'size_t',
      control: 'void *', controllen: 'size_t', flags: 'int',
    });
    fns = {
      socket: libc.func('int socket(int domain, int type, int protocol)') as Fn,
      connect: libc.func('int connect(int fd, const void *addr, uint32_t len)') as Fn,
      sendmsg: libc.func('long sendmsg(int fd, const tsrun_msghdr *msg, int flags)') as Fn,
    };
  }
  return fns;
}

/** Binds the FFI functions now (the init stage must load everything before pivot_root). */
export function preload(): void {
  f();
}

/** socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC) connected to `path`; the caller closes it. */
export function connectUnix(path: string): number {
  const p = Buffer.from(path);
  if (p.length >= SUN_PATH_MAX) throw new SyscallError('connect', 36 /* ENAMETOOLONG */, path);
  const fd = f().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new SyscallError('socket', koffi.errno(), path);
  // struct sockaddr_un: sa_family_t (u16) then the NUL-terminated path.
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  p.copy(addr, 2);
  if ((f().connect(fd, addr, 2 + p.length + 1) as number) < 0) {
    const errno = koffi.errno();
    close(fd);
    throw new SyscallError('connect', errno, path);
  }
  return fd;
}

/** The control buffer of one SCM_RIGHTS message carrying `fds` (CMSG_SPACE-sized, cmsg(3)). */
export function scmRights(fds: number[]): Buffer {
  const len = 16 + 4 * fds.length; // CMSG_LEN: the 16-byte cmsghdr, then the ints
  const buf = Buffer.alloc((len + 7) & ~7); // CMSG_SPACE: padded to sizeof(size_t)
  buf.writeBigUInt64LE(BigInt(len), 0); // cmsg_len
  buf.writeInt32LE(SOL_SOCKET, 8); // cmsg_level
  buf.writeInt32LE(SCM_RIGHTS, 12); // cmsg_type
  fds.forEach((fd, i) => buf.writeInt32LE(fd, 16 + 4 * i));
  return buf;
}

/** sendmsg(2) of `data` with `fds` attached; short writes are retried (the fds go with the first). */
export function sendWithFds(sock: number, data: Buffer, fds: number[]): void {
  let off = 0;
  let control: Buffer | null = scmRights(fds);
  while (off < data.length) {
    const chunk = data.subarray(off);
    const msg = {
      name: null, namelen: 0, iov: [{ base: chunk, len: chunk.length }], iovlen: 1,
      control, controllen: control ? control.length : 0, flags: 0,
    };
    const n = Number(f().sendmsg(sock, msg, 0x4000 /* MSG_NOSIGNAL */));
    if (n < 0) {
      const errno = koffi.errno();
      if (errno === 4 /* EINTR */) continue;
      throw new SyscallError('sendmsg', errno);
    }
    off += n;
    control = null;
  }
}
