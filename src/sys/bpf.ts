// bpf(2) through koffi: the five commands tsrun needs to put a cgroup device program on a cgroup2
// directory (load, attach, detach, query, fd-by-id). Thin wrappers in the style of libc.ts: each
// returns the result or throws SyscallError{syscall: "bpf(<CMD>)", errno}; no policy here.
//
// Why a file of its own: libc.ts is shared and owned elsewhere; this one declares its own koffi
// binding of syscall(2) (`koffi.load('libc.so.6')`, cached by koffi).
//
// How the memory is passed (bpf(2) man page, include/uapi/linux/bpf.h "union bpf_attr"): the
// kernel reads a `union bpf_attr` whose fields hold *user addresses* (instructions, license,
// verifier log, program-id array) as __aligned_u64. Those buffers must not move during the call,
// so each call allocates one native arena with koffi.alloc (stable address), lays out the attr
// at offset 0 and the payloads after it, writes the payload addresses into the attr with
// koffi.address, and frees the arena afterwards. Struct offsets below are from bpf.h (6.1 uapi
// headers, verified on this host's /usr/include/linux/bpf.h); little-endian only, which is every
// arch tsrun supports (x86_64, arm64).
//
// Verified on this host (kernel 6.18, hybrid cgroups): load/attach/query/get-fd/detach against a
// directory of the cgroup2 mount at /sys/fs/cgroup/unified (test/integration/ebpf-devices.test.ts).
import { koffi } from './koffi';
import { RuntimeError, SyscallError } from '../errors';

/** bpf(2) syscall number (asm/unistd_64.h x86_64: 321; asm-generic/unistd.h arm64: 280). */
const SYS_BPF: Readonly<Record<string, number>> = Object.freeze({ x64: 321, arm64: 280 });

/** enum bpf_cmd (uapi/linux/bpf.h). */
const BPF_CMD = Object.freeze({
  PROG_LOAD: 5,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_GET_FD_BY_ID: 13,
  PROG_QUERY: 16,
});
const CMD_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(BPF_CMD).map(([k, v]) => [v, `BPF_${k}`])),
);

/** enum bpf_prog_type: BPF_PROG_TYPE_CGROUP_DEVICE (Linux 4.15). */
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
/** enum bpf_attach_type: BPF_CGROUP_DEVICE. */
export const BPF_CGROUP_DEVICE = 6;
/** Attach flags: several programs per cgroup, all must allow (Linux 4.15). */
export const BPF_F_ALLOW_MULTI = 1 << 1;
/** Attach flag: atomically replace the program given in replace_bpf_fd (Linux 5.6). */
export const BPF_F_REPLACE = 1 << 2;

/** Size of the attr we hand to the kernel: larger than every struct used, all unused bytes zero. */
const ATTR_SIZE = 128;
/** BPF_OBJ_NAME_LEN: program names are at most 15 characters plus NUL. */
const OBJ_NAME_LEN = 16;

type Fn = (...args: unknown[]) => unknown;
let syscallFn: Fn | undefined;
function syscall(): Fn {
  // Loaded lazily, like libc.ts, so importing this module costs nothing until bpf is used.
  syscallFn ??= koffi().load('libc.so.6').func('long syscall(long number, ...)') as Fn;
  return syscallFn;
}

function sysBpf(): number {
  const n = SYS_BPF[process.arch];
  if (n === undefined) throw new RuntimeError('unsupported-arch', `bpf(2): tsrun has no syscall number for architecture "${process.arch}"`);
  return n;
}

/** A native arena with a stable address: attr at offset 0, payloads after it. */
class Arena {
  private readonly ptr: unknown;
  readonly base: bigint;
  readonly view: Buffer;
  private used = ATTR_SIZE;
  constructor(size: number) {
    this.ptr = koffi().alloc('uint8_t', size);
    this.base = koffi().address(this.ptr);
    this.view = Buffer.from(koffi().view(this.ptr, size));
    this.view.fill(0);
  }
  /** Reserve `len` bytes (8-byte aligned, as __aligned_u64 pointers want) and return their offset. */
  reserve(len: number): number {
    const at = (this.used + 7) & ~7;
    if (at + len > this.view.length) throw new RuntimeError('internal', 'bpf arena too small');
    this.used = at + len;
    return at;
  }
  put(data: Buffer): number {
    const at = this.reserve(data.length);
    data.copy(this.view, at);
    return at;
  }
  addr(offset: number): bigint {
    return this.base + BigInt(offset);
  }
  /** bpf(cmd, attr, ATTR_SIZE); returns the non-negative result or throws SyscallError. */
  call(cmd: number, detail?: () => string | undefined): number {
    const r = Number(syscall()(sysBpf(), 'int', cmd, 'void *', this.ptr, 'uint', ATTR_SIZE));
    if (r < 0) {
      const errno = koffi().errno();
      throw new SyscallError(`bpf(${CMD_NAMES[cmd] ?? cmd})`, errno, undefined, detail?.());
    }
    return r;
  }
  free(): void {
    koffi().free(this.ptr);
  }
}

function withArena<T>(size: number, f: (a: Arena) => T): T {
  const a = new Arena(ATTR_SIZE + size);
  try {
    return f(a);
  } finally {
    a.free();
  }
}

export interface ProgLoadOptions {
  progType: number;
  /** Encoded struct bpf_insn array (8 bytes per instruction). */
  insns: Buffer;
  /** MODULE_LICENSE-style string; GPL-only helpers need "GPL", cgroup device programs do not. */
  license: string;
  /** Shown by `bpftool prog` (at most 15 of [A-Za-z0-9_.]). */
  name?: string;
  expectedAttachType?: number;
}

/** Fill the BPF_PROG_LOAD part of the attr (offsets from uapi bpf.h). */
function progLoadAttr(a: Arena, o: ProgLoadOptions, logSize: number): number {
  const insns = a.put(o.insns);
  const license = a.put(Buffer.from(`${o.license}\0`, 'latin1'));
  const v = a.view;
  v.writeUInt32LE(o.progType, 0); // prog_type
  v.writeUInt32LE(o.insns.length / 8, 4); // insn_cnt
  v.writeBigUInt64LE(a.addr(insns), 8); // insns
  v.writeBigUInt64LE(a.addr(license), 16); // license
  let log = 0;
  if (logSize > 0) {
    log = a.reserve(logSize);
    v.writeUInt32LE(1, 24); // log_level
    v.writeUInt32LE(logSize, 28); // log_size
    v.writeBigUInt64LE(a.addr(log), 32); // log_buf
  }
  if (o.name !== undefined) v.write(o.name.slice(0, OBJ_NAME_LEN - 1), 48, 'latin1'); // prog_name
  v.writeUInt32LE(o.expectedAttachType ?? 0, 68); // expected_attach_type
  return log;
}

/**
 * BPF_PROG_LOAD: returns the program fd (close it when done; an attached program stays alive).
 * On a verifier refusal (EACCES/EINVAL) the load is repeated with a log buffer so the error
 * carries the verifier's explanation, as libbpf does.
 */
export function bpfProgLoad(o: ProgLoadOptions): number {
  if (o.insns.length === 0 || o.insns.length % 8 !== 0) throw new RuntimeError('internal', `bpf program of ${o.insns.length} bytes is not a whole number of instructions`);
  const size = o.insns.length + o.license.length + 16;
  try {
    return withArena(size, (a) => {
      progLoadAttr(a, o, 0);
      return a.call(BPF_CMD.PROG_LOAD);
    });
  } catch (err) {
    if (!(err instanceof SyscallError) || (err.errnoCode !== 'EACCES' && err.errnoCode !== 'EINVAL')) throw err;
    const logSize = 64 * 1024;
    return withArena(size + logSize + 8, (a) => {
      const log = progLoadAttr(a, o, logSize);
      return a.call(BPF_CMD.PROG_LOAD, () => {
        const text = a.view.subarray(log, log + logSize).toString('latin1');
        const end = text.indexOf('\0');
        const msg = (end < 0 ? text : text.slice(0, end)).trim();
        return msg === '' ? undefined : `verifier: ${msg.split('\n').slice(-6).join(' | ')}`;
      });
    });
  }
}

/** BPF_PROG_ATTACH of progFd to targetFd (a cgroup directory fd for cgroup attach types). */
export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd = 0): void {
  withArena(0, (a) => {
    a.view.writeUInt32LE(targetFd, 0); // target_fd
    a.view.writeUInt32LE(progFd, 4); // attach_bpf_fd
    a.view.writeUInt32LE(attachType, 8); // attach_type
    a.view.writeUInt32LE(flags, 12); // attach_flags
    a.view.writeUInt32LE(replaceFd, 16); // replace_bpf_fd
    a.call(BPF_CMD.PROG_ATTACH);
  });
}

/** BPF_PROG_DETACH of the program progFd from targetFd. */
export function bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
  withArena(0, (a) => {
    a.view.writeUInt32LE(targetFd, 0);
    a.view.writeUInt32LE(progFd, 4);
    a.view.writeUInt32LE(attachType, 8);
    a.call(BPF_CMD.PROG_DETACH);
  });
}

/**
 * BPF_PROG_QUERY: ids of the programs attached directly to targetFd (not the inherited,
 * "effective" ones). The kernel allows at most 64 per cgroup and attach type (BPF_CGROUP_MAX_PROGS);
 * ENOSPC means more are attached than fit, and prog_cnt then holds the real count, so retry once.
 */
export function bpfProgQuery(targetFd: number, attachType: number): number[] {
  let room = 64;
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = withArena(room * 4, (a): number[] | number => {
      const ids = a.reserve(room * 4);
      a.view.writeUInt32LE(targetFd, 0); // target_fd
      a.view.writeUInt32LE(attachType, 4); // attach_type
      a.view.writeBigUInt64LE(a.addr(ids), 16); // prog_ids
      a.view.writeUInt32LE(room, 24); // prog_cnt (in: room, out: count)
      try {
        a.call(BPF_CMD.PROG_QUERY);
      } catch (err) {
        if (err instanceof SyscallError && err.errnoCode === 'ENOSPC') return a.view.readUInt32LE(24);
        throw err;
      }
      const count = a.view.readUInt32LE(24);
      return Array.from({ length: count }, (_, i) => a.view.readUInt32LE(ids + 4 * i));
    });
    if (Array.isArray(result)) return result;
    room = Math.max(result, room * 2);
  }
  throw new SyscallError('bpf(BPF_PROG_QUERY)', 28 /* ENOSPC */, undefined, 'programs kept being attached while listing them');
}

/** BPF_PROG_GET_FD_BY_ID: an fd for an attached program, so it can be detached or replaced. */
export function bpfProgGetFdById(id: number): number {
  return withArena(0, (a) => {
    a.view.writeUInt32LE(id, 0); // prog_id
    return a.call(BPF_CMD.PROG_GET_FD_BY_ID);
  });
}
