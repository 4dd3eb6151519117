// runc's ENOSYS stub (src/security/seccomp-enosys.ts), run through a small classic-BPF evaluator:
// on the native arch a syscall newer than the profile's newest gets ENOSYS, everything else falls
// through to libseccomp's program (marked here by an appended "RET 0xfeed").
import t from 'tap';
import { enosysStub, stubApplies } from '../../src/security/seccomp-enosys';

const X86_64 = 0xc000003e;
const AARCH64 = 0xc00000b7;
const I386 = 0x40000003;
const FALLTHROUGH = 0xfeed;
const ENOSYS_RET = 0x00050000 | 38;

function run(prog: Buffer, arch: number, nr: number): number {
  let acc = 0;
  for (let pc = 0; pc < prog.length / 8;) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20: acc = k === 0 ? nr >>> 0 : arch >>> 0; break; // ld [k]: offset 0 nr, 4 arch
      case 0x15: pc += acc === k ? jt : jf; break;
      case 0x25: pc += acc > k ? jt : jf; break;
      case 0x45: pc += (acc & k) !== 0 ? jt : jf; break;
      case 0x06: return k;
      default: throw new Error(`unexpected opcode ${code}`);
    }
  }
  throw new Error('fell off the program');
}

function withEnd(stub: Buffer): Buffer {
  const end = Buffer.alloc(8);
  end.writeUInt16LE(0x06, 0);
  end.writeUInt32LE(FALLTHROUGH, 4);
  return Buffer.concat([stub, end]);
}

t.test('x86_64: newer than the profile -> ENOSYS; known, x32 and other arches fall through', async (t) => {
  const p = withEnd(enosysStub(X86_64, 434));
  t.equal(run(p, X86_64, 435), ENOSYS_RET, 'clone3 (435) after a profile that stops at 434');
  t.equal(run(p, X86_64, 434), FALLTHROUGH, 'the newest known one is the profile\'s');
  t.equal(run(p, X86_64, 0), FALLTHROUGH, 'read');
  t.equal(run(p, X86_64, 0x40000000 | 500), FALLTHROUGH, 'x32 syscalls are left to the profile');
  t.equal(run(p, I386, 999), FALLTHROUGH, 'another arch is left to the profile');
});

t.test('other native arches (no x32 case)', async (t) => {
  const p = withEnd(enosysStub(AARCH64, 300));
  t.equal(run(p, AARCH64, 301), ENOSYS_RET);
  t.equal(run(p, AARCH64, 300), FALLTHROUGH);
  t.equal(run(p, X86_64, 301), FALLTHROUGH);
});

t.test('only for default actions that deny', async (t) => {
  t.ok(stubApplies('SCMP_ACT_ERRNO', 400));
  t.ok(stubApplies('SCMP_ACT_KILL_PROCESS', 400));
  t.notOk(stubApplies('SCMP_ACT_ALLOW', 400), 'unlisted syscalls run anyway');
  t.notOk(stubApplies('SCMP_ACT_LOG', 400), 'LOG allows too');
  t.notOk(stubApplies('SCMP_ACT_ERRNO', -1), 'a profile that names no syscall has no bound');
});
