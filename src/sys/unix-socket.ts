// AF_UNIX stream sockets through koffi for the places tsrun needs them outside libuv, synchronous
// on the calling thread: handing the seccomp notify fd to a listener, and a pty master to a
// --console-socket client or to the parent (SCM_RIGHTS, unix(7), cmsg(3)). Layouts are the LP64
// ones (x86_64, arm64).
import { koffi } from './koffi';
import { SyscallError } from '../errors';
import { close, libcFunction } from './libc';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** sizeof(sun_path) in struct sockaddr_un. */
const SUN_PATH_MAX = 108;

type Fn = (...args: unknown[]) => unknown;
let fns: { socket: Fn; connect: Fn; sendmsg: Fn; recvmsg: Fn; socketpair: Fn } | undefined;
function f() {
  if (!fns) {
    koffi().struct('tsrun_iovec', { base: 'void *', len: 'size_t' });
    koffi().struct('tsrun_msghdr', {
      name: 'void *', namelen: 'uint32', iov: 'tsrun_iovec *', iovlen: 'size_t',
      control: 'void *', controllen: 'size_t', flags: 'int',
    });
    fns = {
      socket: libcFunction('int socket(int domain, int type, int protocol)') as Fn,
      connect: libcFunction('int connect(int fd, const void *addr, uint32_t len)') as Fn,
      sendmsg: libcFunction('long sendmsg(int fd, const tsrun_msghdr *msg, int flags)') as Fn,
      // _Inout_: the kernel writes msg_controllen and msg_flags back; the data and control
      // buffers are Buffers koffi passes by address, so their contents are filled in place.
      recvmsg: libcFunction('long recvmsg(int fd, _Inout_ tsrun_msghdr *msg, int flags)') as Fn,
      socketpair: libcFunction('int socketpair(int domain, int type, int protocol, void *sv)') as Fn,
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
  if (fd < 0) throw new SyscallError('socket', koffi().errno(), path);
  // struct sockaddr_un: sa_family_t (u16) then the NUL-terminated path.
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  p.copy(addr, 2);
  if ((f().connect(fd, addr, 2 + p.length + 1) as number) < 0) {
    const errno = koffi().errno();
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
      const errno = koffi().errno();
      if (errno === 4 /* EINTR */) continue;
      throw new SyscallError('sendmsg', errno);
    }
    off += n;
    control = null;
  }
}

const MSG_CTRUNC = 0x8;
const MSG_CMSG_CLOEXEC = 0x40000000;
/** The most a console-socket message body may hold (go-runc's and conmon's receive buffers). */
const MAX_NAME = 4096;

/**
 * Sends one fd the way runc's utils.SendRawFd does to --console-socket: a single sendmsg(2) whose
 * body is `name` (runc sends the master's path, "/dev/ptmx") and whose control message carries
 * exactly one fd. containerd's go-runc (console.go) and conmon read it with one recvmsg.
 */
export function sendFd(sock: number, fd: number, name: string): void {
  const body = Buffer.from(name);
  // An empty body would be a message recvmsg(2) cannot tell from EOF on a stream socket.
  if (body.length === 0 || body.length >= MAX_NAME) throw new SyscallError('sendmsg', 22 /* EINVAL */, undefined, `fd name of ${body.length} bytes`);
  sendWithFds(sock, body, [fd]);
}

/** socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC): two connected fds, the caller closes both. */
export function socketPair(): [number, number] {
  const sv = Buffer.alloc(8);
  if ((f().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) as number) < 0) throw new SyscallError('socketpair', koffi().errno());
  return [sv.readInt32LE(0), sv.readInt32LE(4)];
}

export interface ReceivedFd {
  /** The received fd (close-on-exec: MSG_CMSG_CLOEXEC). */
  fd: number;
  /** The message body, e.g. "/dev/ptmx" from runc or tsrun. */
  name: string;
}

/**
 * Receives one message carrying exactly one fd (sendFd's, or runc's SendRawFd). Blocks. Throws
 * on EOF before a message, on a message without an fd, and on a truncated control message (any
 * fds beyond the first are closed, so nothing leaks into this process).
 */
export function recvFd(sock: number): ReceivedFd {
  const data = Buffer.alloc(MAX_NAME);
  const control = Buffer.alloc(scmRights([0, 0, 0, 0]).length); // room to notice extra fds
  for (;;) {
    const msg = {
      name: null, namelen: 0, iov: [{ base: data, len: data.length }], iovlen: 1,
      control, controllen: control.length, flags: 0,
    };
    const n = Number(f().recvmsg(sock, msg, MSG_CMSG_CLOEXEC));
    if (n < 0) {
      const errno = koffi().errno();
      if (errno === 4 /* EINTR */) continue;
      throw new SyscallError('recvmsg', errno);
    }
    const fds = parseRights(control, Number(msg.controllen));
    if ((msg.flags & MSG_CTRUNC) !== 0 || fds.length !== 1) {
      fds.forEach((fd) => close(fd));
      const what = n === 0 && fds.length === 0 ? 'connection closed before an fd was sent' : `expected one fd, got ${fds.length}${(msg.flags & MSG_CTRUNC) !== 0 ? ' (truncated)' : ''}`;
      throw new SyscallError('recvmsg', 71 /* EPROTO */, undefined, what);
    }
    return { fd: fds[0], name: data.subarray(0, n).toString() };
  }
}

/** The fds of the SCM_RIGHTS messages in a received control buffer (cmsg(3) walk). */
export function parseRights(control: Buffer, controllen: number): number[] {
  const fds: number[] = [];
  let off = 0;
  while (off + 16 <= controllen) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16 || off + len > controllen) break;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return fds;
}
