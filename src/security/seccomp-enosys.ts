// The ENOSYS stub runc puts in front of a seccomp filter (libcontainer/seccomp/patchbpf): a syscall
// newer than every syscall the profile names gets ENOSYS instead of the profile's default action.
// Why: a deny-by-default profile written before, say, clone3 existed returns EPERM for it, and
// glibc (>= 2.34: pthread_create, posix_spawn) falls back to clone only on ENOSYS, so programs in
// the container (and `tsrun exec`'s own posix_spawn) fail. A profile that names the syscall, or one
// newer, is taken at its word. Only for default actions that deny: with ALLOW or LOG an unlisted
// syscall runs anyway.
//
// The stub is classic BPF prepended to the program libseccomp compiled (seccomp_export_bpf(3));
// the filter is then loaded with seccomp(2) directly. The original program's jumps are relative,
// so they are unaffected. The stub only acts on the native architecture; on x86_64 the x32 ABI
// (syscall numbers with bit 30 set) is left to the profile.
import fs = require('node:fs');
import * as libc from '../sys/libc';
import * as scmp from '../sys/libseccomp';
import { SyscallError } from '../errors';

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGT_K = 0x25;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const SECCOMP_RET_ERRNO = 0x00050000;
const ENOSYS = 38;
/** offsetof(struct seccomp_data, nr) and arch. */
const DATA_NR = 0;
const DATA_ARCH = 4;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

/** Default actions that deny an unlisted syscall (the stub changes only how it is denied). */
const DENYING_DEFAULTS = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE']);

export function stubApplies(defaultAction: string, maxNr: number): boolean {
  return DENYING_DEFAULTS.has(defaultAction) && maxNr >= 0;
}

/**
 * clone3 gets ENOSYS when a denying profile names it nowhere, even where the stub does not reach
 * it (the profile names something newer, landlock_* say). glibc's pthread_create and posix_spawn
 * try clone3 first and fall back to clone(2) only on ENOSYS, so without this an older profile
 * that allows clone and names landlock makes every thread and every posix_spawn in the container
 * fail with EPERM, and `tsrun exec` with them (its stage spawns under the filter). A seccomp filter
 * cannot look into clone3's flags (they are in memory), which is why Docker's and podman's own
 * profiles say the same (clone3: SCMP_ACT_ERRNO with errnoRet 38). The call stays denied; only
 * the errno differs. A profile that names clone3 in any rule is taken at its word.
 */
export function clone3NeedsEnosys(defaultAction: string, named: ReadonlySet<string>): boolean {
  return DENYING_DEFAULTS.has(defaultAction) && !named.has('clone3');
}

/** The SCMP_ACT_ERRNO(ENOSYS) action value (libseccomp's encoding, seccomp.h). */
export const ACT_ERRNO_ENOSYS = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;

function insn(code: number, jt: number, jf: number, k: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(code, 0);
  b.writeUInt8(jt, 2);
  b.writeUInt8(jf, 3);
  b.writeUInt32LE(k >>> 0, 4);
  return b;
}

/** The stub: native arch and nr > maxNr -> ERRNO(ENOSYS); anything else falls through. */
export function enosysStub(nativeArch: number, maxNr: number): Buffer {
  const x86 = nativeArch === AUDIT_ARCH_X86_64;
  // Offsets are from the next instruction; "end" is the first instruction after the stub.
  const parts = x86
    ? [
      insn(BPF_LD_W_ABS, 0, 0, DATA_ARCH), // 0
      insn(BPF_JEQ_K, 0, 4, nativeArch), // 1: other arch -> end (6)
      insn(BPF_LD_W_ABS, 0, 0, DATA_NR), // 2
      insn(BPF_JSET_K, 2, 0, X32_SYSCALL_BIT), // 3: x32 -> end (6)
      insn(BPF_JGT_K, 0, 1, maxNr), // 4: newer -> 5, else end (6)
      insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS), // 5
    ]
    : [
      insn(BPF_LD_W_ABS, 0, 0, DATA_ARCH), // 0
      insn(BPF_JEQ_K, 0, 3, nativeArch), // 1: other arch -> end (5)
      insn(BPF_LD_W_ABS, 0, 0, DATA_NR), // 2
      insn(BPF_JGT_K, 0, 1, maxNr), // 3: newer -> 4, else end (5)
      insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS), // 4
    ];
  return Buffer.concat(parts);
}

/** libseccomp's compiled program, as an array of struct sock_filter. */
function exportProgram(ctx: scmp.FilterCtx): Buffer {
  const fd = libc.memfdCreate('tsrun-seccomp');
  try {
    scmp.exportBpf(ctx, fd);
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) off += fs.readSync(fd, buf, off, size - off, off);
    return buf;
  } finally {
    libc.close(fd);
  }
}

/** The program to load: stub + libseccomp's. BPF programs are limited to 4096 instructions. */
export function patchedProgram(ctx: scmp.FilterCtx, maxNr: number): Buffer {
  const prog = Buffer.concat([enosysStub(scmp.archNative(), maxNr), exportProgram(ctx)]);
  if (prog.length / 8 > 4096) throw new SyscallError('seccomp', 7 /* E2BIG */, undefined, `filter of ${prog.length / 8} instructions`);
  return prog;
}
