// The eBPF assembler (src/cgroups/ebpf/insn.ts): exact bytes of every instruction it emits and of
// a small program, label resolution, and its refusals. The expected bytes were cross-checked with
// LLVM's BPF assembler (`llvm-mc -triple bpfel -show-encoding`, e.g. "w2 = *(u32 *)(r1 + 0)" ->
// [0x61,0x12,0,0,0,0,0,0], "if r1 != r3 goto +2" -> [0x5d,0x31,0x02,0,0,0,0,0]).
import t from 'tap';
import {
  and32Imm, assemble, encodeInsn, exit, jeqImm, jneImm, jneReg, label, ldxW, mov32Imm, mov32Reg, resolve, rsh32Imm,
} from '../../src/cgroups/ebpf/insn';
import { disassemble } from '../lib/bpf-disassemble';

const hex = (b: Buffer) => b.toString('hex');

t.test('each instruction encodes to the struct bpf_insn bytes', async (t) => {
  const cases: Array<[string, Buffer, string]> = [
    ['ldxw r2, [r1+0]', encodeInsn(ldxW(2, 1, 0)), '6112000000000000'],
    ['ldxw r4, [r1+4]', encodeInsn(ldxW(4, 1, 4)), '6114040000000000'],
    ['ldxw r5, [r1+8]', encodeInsn(ldxW(5, 1, 8)), '6115080000000000'],
    ['and32 r2, 0xffff', encodeInsn(and32Imm(2, 0xffff)), '54020000ffff0000'],
    ['rsh32 r3, 16', encodeInsn(rsh32Imm(3, 16)), '7403000010000000'],
    ['mov32 r1, r3', encodeInsn(mov32Reg(1, 3)), 'bc31000000000000'],
    ['mov32 r0, 1', encodeInsn(mov32Imm(0, 1)), 'b400000001000000'],
    ['exit', encodeInsn(exit()), '9500000000000000'],
    // Jumps before resolution carry off 0; the immediate is little-endian s32.
    ['jne r4, 136', encodeInsn(jneImm(4, 136, 'x')), '5504000088000000'],
    ['jne r1, r3', encodeInsn(jneReg(1, 3, 'x')), '5d31000000000000'],
    ['jeq r1, 0', encodeInsn(jeqImm(1, 0, 'x')), '1501000000000000'],
    // An immediate above 2^31 is stored as its two's complement (the struct field is __s32).
    ['mov32 r0, 0xffffffff', encodeInsn(mov32Imm(0, 0xffffffff)), 'b4000000ffffffff'],
    ['mov32 r0, -1', encodeInsn(mov32Imm(0, -1)), 'b4000000ffffffff'],
  ];
  for (const [name, got, want] of cases) t.equal(hex(got), want, name);
});

t.test('labels become forward pc-relative offsets (target - (pc + 1))', async (t) => {
  const prog = assemble([
    jneImm(2, 2, 'next'), // 0 -> 3: off 2
    jneImm(4, 1, 'next'), // 1 -> 3: off 1
    jneImm(5, 3, 'next'), // 2 -> 3: off 0
    label('next'),
    mov32Imm(0, 0),
    exit(),
  ]);
  t.equal(
    hex(prog),
    ['5502020002000000', '5504010001000000', '5505000003000000', 'b400000000000000', '9500000000000000'].join(''),
  );
  t.same(disassemble(prog), ['jne r2, 2, +2', 'jne r4, 1, +1', 'jne r5, 3, +0', 'mov32 r0, 0', 'exit']);
  const resolved = resolve([jeqImm(1, 0, 'end'), label('end'), exit()]);
  t.equal(resolved[0].off, 0);
  t.equal(resolved.length, 2, 'labels take no room');
});

t.test('refusals', async (t) => {
  t.throws(() => assemble([jneImm(2, 1, 'nowhere'), exit()]), /undefined label nowhere/);
  t.throws(() => assemble([label('a'), jneImm(2, 1, 'a'), exit()]), /not forward/, 'back-edges are refused (the verifier would too)');
  t.throws(() => assemble([label('a'), label('a'), exit()]), /defined twice/);
  t.throws(() => encodeInsn(mov32Imm(0, 2 ** 32)), /does not fit in 32 bits/);
  t.throws(() => encodeInsn({ ...exit(), off: 0x8000 }), /16 bits/);
  t.throws(() => encodeInsn({ ...exit(), code: 0x100 }), /bad opcode/);
});

t.test('disassemble names what it knows and dumps the rest', async (t) => {
  const bytes = Buffer.concat([encodeInsn(ldxW(3, 1, 0)), encodeInsn(rsh32Imm(3, 16)), encodeInsn(mov32Reg(1, 3)), Buffer.from('b700000005000000', 'hex')]);
  t.same(disassemble(bytes), ['ldxw r3, [r1+0]', 'rsh32 r3, 16', 'mov32 r1, r3', '.insn 0xb7 r0 r0 0 5']);
});
