// A tiny eBPF assembler: just the instructions a cgroup device filter needs, encoded by hand as
// `struct bpf_insn` (uapi/linux/bpf.h):
//
//     struct bpf_insn { __u8 code; __u8 dst_reg:4; __u8 src_reg:4; __s16 off; __s32 imm; };
//
// 8 bytes each, little-endian (x86_64 and arm64, the arches tsrun supports; on those the dst_reg
// bitfield is the low nibble of byte 1). Opcodes are class | op | source from
// uapi/linux/bpf_common.h and bpf.h:
//   classes  BPF_LDX 0x01, BPF_ALU 0x04 (32-bit), BPF_JMP 0x05 (64-bit compare)
//   sizes    BPF_W 0x00 (32-bit) with mode BPF_MEM 0x60
//   ALU ops  BPF_AND 0x50, BPF_RSH 0x70, BPF_MOV 0xb0
//   JMP ops  BPF_JEQ 0x10, BPF_JNE 0x50, BPF_EXIT 0x90
//   source   BPF_K 0x00 (imm), BPF_X 0x08 (src register)
// Jumps name a label; assemble() resolves it to `off` = target index - (jump index + 1), the
// kernel's pc-relative rule (Documentation/bpf/instruction-set.rst "Jump instructions").
// Exact bytes are unit-tested in test/unit/ebpf-insn.test.ts (cross-checked with llvm-mc -triple bpfel);
// the kernel verifier accepts the programs built from them on this host (test/integration/ebpf-devices.test.ts).
import { RuntimeError } from '../../errors';

export const BPF_LDX = 0x01;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_W = 0x00;
export const BPF_MEM = 0x60;
export const BPF_AND = 0x50;
export const BPF_RSH = 0x70;
export const BPF_MOV = 0xb0;
export const BPF_JEQ = 0x10;
export const BPF_JNE = 0x50;
export const BPF_EXIT = 0x90;
const BPF_K = 0x00;
export const BPF_X = 0x08;

/** Registers r0 (return value) .. r10 (frame pointer); r1 holds the context on entry. */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface Insn {
  code: number;
  dst: Reg;
  src: Reg;
  off: number;
  imm: number;
  /** For jumps: the label whose position becomes `off`. */
  target?: string;
}

/** A position in the program that jumps can name. */
export interface Label {
  label: string;
}
export type AsmItem = Insn | Label;

const insn = (code: number, dst: Reg, src: Reg, off: number, imm: number, target?: string): Insn => ({ code, dst, src, off, imm, target });

/** dst = *(u32 *)(src + off) */
export const ldxW = (dst: Reg, src: Reg, off: number): Insn => insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
/** dst = (u32)imm (32-bit ALU: the upper half of dst is zeroed) */
export const mov32Imm = (dst: Reg, imm: number): Insn => insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
/** dst = (u32)src */
export const mov32Reg = (dst: Reg, src: Reg): Insn => insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
/** dst &= imm (32-bit) */
export const and32Imm = (dst: Reg, imm: number): Insn => insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm);
/** dst >>= imm (32-bit, logical) */
export const rsh32Imm = (dst: Reg, imm: number): Insn => insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm);
/** if dst != imm goto target (64-bit compare; imm is sign-extended) */
export const jneImm = (dst: Reg, imm: number, target: string): Insn => insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm, target);
/** if dst != src goto target */
export const jneReg = (dst: Reg, src: Reg, target: string): Insn => insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0, target);
/** if dst == imm goto target */
export const jeqImm = (dst: Reg, imm: number, target: string): Insn => insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, 0, imm, target);
/** return r0 */
export const exit = (): Insn => insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
export const label = (name: string): Label => ({ label: name });

function isLabel(item: AsmItem): item is Label {
  return 'label' in item;
}

function fail(message: string): never {
  throw new RuntimeError('internal', `bpf assembler: ${message}`);
}

/** Encode one instruction as its 8 bytes. */
export function encodeInsn(i: Insn): Buffer {
  if (!Number.isInteger(i.code) || i.code < 0 || i.code > 0xff) fail(`bad opcode ${i.code}`);
  if (!Number.isInteger(i.off) || i.off < -0x8000 || i.off > 0x7fff) fail(`jump offset ${i.off} does not fit in 16 bits`);
  if (!Number.isInteger(i.imm) || i.imm < -0x80000000 || i.imm > 0xffffffff) fail(`immediate ${i.imm} does not fit in 32 bits`);
  const b = Buffer.alloc(8);
  b.writeUInt8(i.code, 0);
  b.writeUInt8(((i.src & 0xf) << 4) | (i.dst & 0xf), 1);
  b.writeInt16LE(i.off, 2);
  // Immediates are s32 in the struct; values 2^31..2^32-1 are written as their two's complement.
  b.writeInt32LE(i.imm | 0, 4);
  return b;
}

/** Resolve labels and return the instructions with final jump offsets. */
export function resolve(items: readonly AsmItem[]): Insn[] {
  const at = new Map<string, number>();
  const out: Insn[] = [];
  for (const item of items) {
    if (isLabel(item)) {
      if (at.has(item.label)) fail(`label ${item.label} defined twice`);
      at.set(item.label, out.length);
    } else {
      out.push({ ...item });
    }
  }
  out.forEach((i, index) => {
    if (i.target === undefined) return;
    const to = at.get(i.target);
    if (to === undefined) fail(`jump to undefined label ${i.target}`);
    // Forward jumps only: the verifier refuses back-edges (loops) in these programs anyway.
    if (to <= index) fail(`jump from ${index} to label ${i.target} at ${to} is not forward`);
    i.off = to - (index + 1);
  });
  return out;
}

/** Assemble to the byte string BPF_PROG_LOAD takes. */
export function assemble(items: readonly AsmItem[]): Buffer {
  return Buffer.concat(resolve(items).map(encodeInsn));
}
