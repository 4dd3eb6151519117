// A disassembler for the instructions src/cgroups/ebpf/insn.ts assembles, one line per
// instruction ("jne r2, 2, +5"), so tests can state a device filter program as readable text.
// Test-only: the runtime never reads its programs back.
import { BPF_ALU, BPF_AND, BPF_EXIT, BPF_JEQ, BPF_JMP, BPF_JNE, BPF_LDX, BPF_MEM, BPF_MOV, BPF_RSH, BPF_W, BPF_X } from '../../src/cgroups/ebpf/insn';

const JMP_NAMES: Record<number, string> = { [BPF_JEQ]: 'jeq', [BPF_JNE]: 'jne' };
const ALU_NAMES: Record<number, string> = { [BPF_AND]: 'and32', [BPF_RSH]: 'rsh32', [BPF_MOV]: 'mov32' };

/** One line per instruction ("jne r2, 2, +5"): for test messages and debugging, not a full disassembler. */
export function disassemble(bytes: Buffer): string[] {
  const lines: string[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += 8) {
    const code = bytes.readUInt8(p);
    const dst = bytes.readUInt8(p + 1) & 0xf;
    const src = bytes.readUInt8(p + 1) >> 4;
    const off = bytes.readInt16LE(p + 2);
    const imm = bytes.readInt32LE(p + 4);
    const operand = (code & BPF_X) !== 0 ? `r${src}` : String(imm);
    const cls = code & 0x07;
    const op = code & 0xf0;
    let text: string;
    if (code === (BPF_LDX | BPF_MEM | BPF_W)) text = `ldxw r${dst}, [r${src}${off >= 0 ? '+' : ''}${off}]`;
    else if (code === (BPF_JMP | BPF_EXIT)) text = 'exit';
    else if (cls === BPF_ALU && ALU_NAMES[op] !== undefined) text = `${ALU_NAMES[op]} r${dst}, ${operand}`;
    else if (cls === BPF_JMP && JMP_NAMES[op] !== undefined) text = `${JMP_NAMES[op]} r${dst}, ${operand}, ${off >= 0 ? '+' : ''}${off}`;
    else text = `.insn 0x${code.toString(16)} r${dst} r${src} ${off} ${imm}`;
    lines.push(text);
  }
  return lines;
}
