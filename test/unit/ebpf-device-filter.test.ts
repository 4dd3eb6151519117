// The cgroup device filter: the v1-semantics emulator (src/cgroups/ebpf/device-rules.ts), the
// program built from it (device-filter.ts) byte for byte for a few rule sets (the same rule sets
// runc's devicefilter_test.go lists, with the same instruction sequence), and, through a small
// interpreter of the instructions the builder emits, that every program answers every request
// exactly like the kernel's v1 check would.
import t from 'tap';
import { buildDeviceFilter, deviceAllowed, deviceFilterProgram, emulateDeviceRules, type DeviceCgroupState } from '../../src/cgroups/ebpf';
import { ACC_ALL, ACC_MKNOD, ACC_READ, ACC_WRITE } from '../../src/cgroups/ebpf/device-rules';
import { disassemble } from '../lib/bpf-disassemble';
import type { LinuxDeviceCgroup } from '../../src/cgroups/types';
import { DEFAULT_ALLOWED_DEVICES } from '../../src/cgroups/v1/devices';
import { SpecError } from '../../src/errors';

const PROLOGUE = ['ldxw r2, [r1+0]', 'and32 r2, 65535', 'ldxw r3, [r1+0]', 'rsh32 r3, 16', 'ldxw r4, [r1+4]', 'ldxw r5, [r1+8]'];
const PROLOGUE_HEX = '6112000000000000' + '54020000ffff0000' + '6113000000000000' + '7403000010000000' + '6114040000000000' + '6115080000000000';

/** Run a program on a struct bpf_cgroup_dev_ctx {access_type, major, minor}; supports exactly what the builder emits. */
function run(prog: Buffer, ctx: { type: number; access: number; major: number; minor: number }): number {
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(((ctx.access << 16) | ctx.type) >>> 0, 0);
  mem.writeUInt32LE(ctx.major, 4);
  mem.writeUInt32LE(ctx.minor, 8);
  const r = new Array<number>(11).fill(0);
  let r1IsCtx = true;
  for (let pc = 0, steps = 0; steps < 10000; steps++) {
    const at = pc * 8;
    if (at + 8 > prog.length) throw new Error(`fell off the end at ${pc}`);
    const code = prog.readUInt8(at);
    const dst = prog.readUInt8(at + 1) & 0xf;
    const src = prog.readUInt8(at + 1) >> 4;
    const off = prog.readInt16LE(at + 2);
    const imm = prog.readInt32LE(at + 4);
    pc++;
    switch (code) {
      case 0x61: // ldxw dst, [src+off]
        if (src !== 1 || !r1IsCtx) throw new Error('load from something other than the context');
        r[dst] = mem.readUInt32LE(off);
        break;
      case 0x54: r[dst] = (r[dst] & imm) >>> 0; break; // and32 imm
      case 0x74: r[dst] = r[dst] >>> imm; break; // rsh32 imm
      case 0xb4: r[dst] = imm >>> 0; if (dst === 1) r1IsCtx = false; break; // mov32 imm
      case 0xbc: r[dst] = r[src] >>> 0; if (dst === 1) r1IsCtx = false; break; // mov32 reg
      case 0x55: if (r[dst] !== imm) pc += off; break; // jne imm (values here are all < 2^31)
      case 0x5d: if (r[dst] !== r[src]) pc += off; break; // jne reg
      case 0x15: if (r[dst] === imm) pc += off; break; // jeq imm
      case 0x95: return r[0]; // exit
      default: throw new Error(`unexpected opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error('no exit');
}

const TYPES = [['c', 2], ['b', 1]] as const;
const MAJORS = [1, 5, 8, 10, 136, 250];
const MINORS = [0, 1, 2, 3, 5, 7, 9, 11, 229];
const ACCESSES = [1, 2, 3, 4, 5, 6, 7];

/** Compare program and emulator on every request of the grid; returns the number of disagreements. */
function disagreements(state: DeviceCgroupState): string[] {
  const prog = buildDeviceFilter(state);
  const bad: string[] = [];
  for (const [type, bpfType] of TYPES) {
    for (const major of MAJORS) {
      for (const minor of MINORS) {
        for (const access of ACCESSES) {
          const want = deviceAllowed(state, { type, major, minor, access });
          const got = run(prog, { type: bpfType, access, major, minor }) === 1;
          if (want !== got) bad.push(`${type} ${major}:${minor} access=${access}: kernel ${want}, program ${got}`);
        }
      }
    }
  }
  return bad;
}

const rule = (allow: boolean, type: 'a' | 'c' | 'b' | undefined, major: number | undefined, minor: number | undefined, access: string): LinuxDeviceCgroup => ({
  allow, type, major, minor, access,
});

t.test('programs for runc devicefilter_test.go rule sets, instruction by instruction', async (t) => {
  // TestDeviceFilter_Nil: nothing allowed.
  const nil = buildDeviceFilter(emulateDeviceRules([], { defaults: false }));
  t.equal(nil.toString('hex'), PROLOGUE_HEX + 'b400000000000000' + '9500000000000000');
  // TestDeviceFilter_Privileged: "a *:* rwm" allowed.
  const priv = buildDeviceFilter(emulateDeviceRules([rule(true, 'a', undefined, undefined, 'rwm')], { defaults: false }));
  t.equal(priv.toString('hex'), PROLOGUE_HEX + 'b400000001000000' + '9500000000000000');
  // TestDeviceFilter_PrivilegedExceptSingleDevice and TestDeviceFilter_Weird: the same program.
  const expected = [
    ...PROLOGUE,
    'jne r2, 1, +4', 'jne r4, 8, +3', 'jne r5, 0, +2', 'mov32 r0, 0', 'exit', // block-0: reject b 8:0
    'mov32 r0, 1', 'exit', // default accept
  ];
  const except = buildDeviceFilter(emulateDeviceRules([rule(true, 'a', -1, -1, 'rwm'), rule(false, 'b', 8, 0, 'rwm')], { defaults: false }));
  t.same(disassemble(except), expected);
  t.equal(except.subarray(48, 56).toString('hex'), '5502040001000000', 'jne r2, 1, +4 bytes');
  const weird = buildDeviceFilter(
    emulateDeviceRules([rule(false, 'b', 8, 1, 'rwm'), rule(true, 'a', -1, -1, 'rwm'), rule(false, 'b', 8, 2, 'rwm')], { defaults: false }),
  );
  t.same(disassemble(weird), expected.map((l) => (l === 'jne r5, 0, +2' ? 'jne r5, 2, +2' : l)), 'the allow-all in the middle wipes the earlier deny (runc-rc9/cgroup v1 behaviour)');
});

t.test('partial access: subset test in allow-list mode, overlap test in deny-list mode', async (t) => {
  const allowRw = buildDeviceFilter(emulateDeviceRules([rule(true, 'c', 1, 3, 'rw')], { defaults: false }));
  t.same(disassemble(allowRw), [
    ...PROLOGUE,
    'jne r2, 2, +7', 'mov32 r1, r3', 'and32 r1, 6', 'jne r1, r3, +4', 'jne r4, 1, +3', 'jne r5, 3, +2', 'mov32 r0, 1', 'exit',
    'mov32 r0, 0', 'exit',
  ]);
  const denyW = buildDeviceFilter(emulateDeviceRules([rule(true, 'a', -1, -1, 'rwm'), rule(false, 'c', 1, 3, 'w')], { defaults: false }));
  t.same(disassemble(denyW), [
    ...PROLOGUE,
    'jne r2, 2, +7', 'mov32 r1, r3', 'and32 r1, 4', 'jeq r1, 0, +4', 'jne r4, 1, +3', 'jne r5, 3, +2', 'mov32 r0, 0', 'exit',
    'mov32 r0, 1', 'exit',
  ]);
  const s = emulateDeviceRules([rule(true, 'a', -1, -1, 'rwm'), rule(false, 'c', 1, 3, 'w')], { defaults: false });
  t.equal(run(denyW, { type: 2, major: 1, minor: 3, access: ACC_READ | ACC_WRITE }), 0, 'open O_RDWR hits the write deny (v1 match_exception_partial)');
  t.equal(deviceAllowed(s, { type: 'c', major: 1, minor: 3, access: ACC_READ }), true);
  t.equal(run(denyW, { type: 2, major: 1, minor: 3, access: ACC_READ }), 1);
});

t.test('emulator follows the v1 kernel rules', async (t) => {
  const none = { defaults: false };
  t.same(emulateDeviceRules([], none), { defaultAllow: false, exceptions: [] }, 'starts from deny-all');
  t.same(emulateDeviceRules([rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 3, 'w')], none).exceptions, [
    { type: 'c', major: 1, minor: 3, access: ACC_READ | ACC_WRITE },
  ], 'same device: access bits merge (dev_exception_add)');
  t.same(emulateDeviceRules([rule(true, 'c', 1, 3, 'rwm'), rule(false, 'c', 1, 3, 'w')], none).exceptions, [
    { type: 'c', major: 1, minor: 3, access: ACC_READ | ACC_MKNOD },
  ], 'deny in allow-list mode takes bits away (dev_exception_rm)');
  t.same(emulateDeviceRules([rule(true, 'c', 1, 3, 'rw'), rule(false, 'c', 1, 3, 'rwm')], none).exceptions, [], 'all bits gone: exception removed');
  const wide = emulateDeviceRules([rule(true, 'c', undefined, undefined, 'rwm'), rule(false, 'c', 1, 3, 'rwm')], none);
  t.same(wide.exceptions, [{ type: 'c', major: -1, minor: -1, access: ACC_ALL }], 'no hole punched into a wider rule, as on v1');
  t.ok(deviceAllowed(wide, { type: 'c', major: 1, minor: 3, access: ACC_READ }));
  const narrowA = emulateDeviceRules([rule(true, 'a', 4, undefined, 'rw')], none);
  t.same(narrowA.exceptions, [
    { type: 'c', major: 4, minor: -1, access: ACC_READ | ACC_WRITE },
    { type: 'b', major: 4, minor: -1, access: ACC_READ | ACC_WRITE },
  ], 'a narrow "a" rule is a char and a block rule (v1/devices.ts)');
  const reset = emulateDeviceRules([rule(true, 'c', 1, 3, 'rwm'), rule(false, undefined, undefined, undefined, 'rwm')], none);
  t.same(reset, { defaultAllow: false, exceptions: [] }, '"a *:* rwm" deny resets the list');
});

t.test('defaults are appended after the config rules, as on v1', async (t) => {
  const s = emulateDeviceRules([rule(false, 'a', undefined, undefined, 'rwm')]);
  t.equal(s.defaultAllow, false);
  t.equal(s.exceptions.length, DEFAULT_ALLOWED_DEVICES.length);
  t.ok(deviceAllowed(s, { type: 'c', major: 1, minor: 3, access: ACC_READ | ACC_WRITE }), '/dev/null');
  t.ok(deviceAllowed(s, { type: 'c', major: 136, minor: 5, access: ACC_READ }), '/dev/pts/5');
  t.ok(deviceAllowed(s, { type: 'b', major: 8, minor: 0, access: ACC_MKNOD }), 'mknod of any block device');
  t.notOk(deviceAllowed(s, { type: 'b', major: 8, minor: 0, access: ACC_READ }), 'but not reading it');
  t.notOk(deviceAllowed(s, { type: 'c', major: 1, minor: 11, access: ACC_READ }), '/dev/kmsg');
  const denyNull = emulateDeviceRules([rule(false, 'c', 1, 3, 'rwm')]);
  t.ok(deviceAllowed(denyNull, { type: 'c', major: 1, minor: 3, access: ACC_READ }), 'a config cannot take a default device away (defaults come last)');
  t.equal(deviceFilterProgram([]).length % 8, 0);
});

t.test('every program answers like the v1 kernel, request by request', async (t) => {
  const configs: Array<[string, LinuxDeviceCgroup[], boolean]> = [
    ['deny all + defaults', [rule(false, 'a', undefined, undefined, 'rwm')], true],
    ['allow all', [rule(true, 'a', undefined, undefined, 'rwm')], true],
    ['allow all, deny some', [rule(true, 'a', -1, -1, 'rwm'), rule(false, 'c', 1, 3, 'w'), rule(false, 'b', 8, undefined, 'rm'), rule(false, 'c', undefined, 7, 'm')], false],
    ['allow-list with partial access', [rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 5, undefined, 'w'), rule(true, 'b', undefined, 1, 'm'), rule(true, 'c', 1, 3, 'm')], false],
    ['merge and remove', [rule(true, 'c', 10, 229, 'rw'), rule(false, 'c', 10, 229, 'w'), rule(true, 'a', 8, 0, 'rwm'), rule(false, 'b', 8, 0, 'r')], true],
    ['switch modes twice', [rule(true, 'c', 1, 1, 'r'), rule(true, 'a', -1, -1, 'rwm'), rule(false, 'c', 136, undefined, 'rw'), rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 136, 2, 'rwm')], false],
  ];
  for (const [name, rules, defaults] of configs) {
    const bad = disagreements(emulateDeviceRules(rules, { defaults }));
    t.same(bad, [], name);
  }
});

t.test('refusals come from the shared v1 validation, plus the 32-bit limit of the program', async (t) => {
  t.throws(() => deviceFilterProgram([rule(true, 'c', 1, 3, 'rwx')]), SpecError);
  t.throws(() => deviceFilterProgram([{ allow: true, type: 'x' as never, access: 'r' }]), { code: 'invalid-config', pointer: '/linux/resources/devices/0/type' });
  t.throws(() => deviceFilterProgram([rule(true, 'c', 2 ** 31, 0, 'r')]), /too large for the cgroup v2 device filter/);
});
