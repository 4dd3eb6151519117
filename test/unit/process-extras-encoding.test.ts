// The pure halves of src/security/{scheduler,io-priority,personality,memory-policy,cpu-affinity}.ts:
// the bytes and numbers handed to sched_setattr(2), ioprio_set(2), personality(2) and
// set_mempolicy(2), and the cpuset(7) list parser, checked against the kernel headers' values.
import t from 'tap';
import { SCHED_ATTR_SIZE, encodeSchedAttr, explainSchedError } from '../../src/security/scheduler';
import { ioprioValue } from '../../src/security/io-priority';
import { FieldError } from '../../src/errors';
import { personalityValue } from '../../src/security/personality';
import { mempolicyArgs } from '../../src/security/memory-policy';
import { parseIdList, planExecCpuAffinity } from '../../src/security/cpu-affinity';

t.test('struct sched_attr layout (56 bytes, SCHED_ATTR_SIZE_VER1)', async (t) => {
  const b = encodeSchedAttr({
    policy: 'SCHED_DEADLINE', nice: -3, priority: 0, runtime: 10_000_000, deadline: 30_000_000, period: 40_000_000,
    flags: ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_DL_OVERRUN'],
  });
  t.equal(b.length, 56);
  t.equal(SCHED_ATTR_SIZE, 56);
  t.equal(b.readUInt32LE(0), 56, 'size');
  t.equal(b.readUInt32LE(4), 6, 'SCHED_DEADLINE');
  t.equal(b.readBigUInt64LE(8), 0x05n, 'RESET_ON_FORK | DL_OVERRUN');
  t.equal(b.readInt32LE(16), -3, 'nice');
  t.equal(b.readUInt32LE(20), 0, 'priority');
  t.equal(b.readBigUInt64LE(24), 10_000_000n, 'runtime');
  t.equal(b.readBigUInt64LE(32), 30_000_000n, 'deadline');
  t.equal(b.readBigUInt64LE(40), 40_000_000n, 'period');
  t.equal(b.readUInt32LE(48), 0, 'util_min');
  t.equal(b.readUInt32LE(52), 0, 'util_max');

  const policies: Array<[string, number]> = [
    ['SCHED_OTHER', 0], ['SCHED_FIFO', 1], ['SCHED_RR', 2], ['SCHED_BATCH', 3], ['SCHED_ISO', 4], ['SCHED_IDLE', 5],
  ];
  for (const [policy, n] of policies) t.equal(encodeSchedAttr({ policy } as never).readUInt32LE(4), n, policy);
  const allFlags = encodeSchedAttr({
    policy: 'SCHED_OTHER',
    flags: ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
      'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX'],
  });
  t.equal(allFlags.readBigUInt64LE(8), 0x7fn, 'every SCHED_FLAG_* bit');
  t.equal(encodeSchedAttr({ policy: 'SCHED_FIFO', priority: 42 }).readUInt32LE(20), 42);
  t.throws(() => encodeSchedAttr({ policy: 'SCHED_NOPE' } as never), /unknown scheduler policy "SCHED_NOPE"/);
  t.throws(() => encodeSchedAttr({ policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_X'] } as never), /unknown scheduler flag/);
});

t.test('kernel refusals are explained', async (t) => {
  t.match(explainSchedError({ policy: 'SCHED_ISO' }, 'EINVAL'), /not implemented by mainline/);
  t.match(explainSchedError({ policy: 'SCHED_DEADLINE' }, 'EINVAL'), /runtime <= deadline <= period/);
  t.match(explainSchedError({ policy: 'SCHED_FIFO', priority: 1 }, 'EPERM'), /realtimeRuntime/);
  t.match(explainSchedError({ policy: 'SCHED_OTHER', nice: -5 }, 'EPERM'), /CAP_SYS_NICE/);
});

t.test('ioprio value: class << 13 | level', async (t) => {
  t.equal(ioprioValue({ class: 'IOPRIO_CLASS_RT', priority: 0 }), (1 << 13) | 0);
  t.equal(ioprioValue({ class: 'IOPRIO_CLASS_BE', priority: 4 }), (2 << 13) | 4);
  t.equal(ioprioValue({ class: 'IOPRIO_CLASS_IDLE', priority: 7 }), (3 << 13) | 7);
  t.equal(ioprioValue({ class: 'IOPRIO_CLASS_IDLE' } as never), 3 << 13, 'absent priority is 0');
  t.throws(() => ioprioValue({ class: 'IOPRIO_CLASS_BE', priority: 8 }), /outside 0..7/);
  t.throws(() => ioprioValue({ class: 'IOPRIO_CLASS_NONE', priority: 0 } as never), /unknown I\/O priority class/);
});

t.test('personality: PER_LINUX, PER_LINUX32; every flag refused', async (t) => {
  t.equal(personalityValue({ domain: 'LINUX' }), 0);
  t.equal(personalityValue({ domain: 'LINUX32' }), 8);
  t.equal(personalityValue({ domain: 'LINUX32', flags: [] }), 8, 'an empty list is no flag');
  t.throws(() => personalityValue({ domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }), /flags are not supported.*ADDR_NO_RANDOMIZE/);
  t.throws(() => personalityValue({ domain: 'SVR4' } as never), /unknown personality domain/);
});

t.test('cpuset list format', async (t) => {
  t.same(parseIdList('0-3,7'), [0, 1, 2, 3, 7]);
  t.same(parseIdList(''), []);
  t.same(parseIdList('  '), []);
  t.same(parseIdList(' 5 , 1-2, 2 '), [1, 2, 5], 'spaces, duplicates, order');
  t.same(parseIdList('64'), [64]);
  t.throws(() => parseIdList('3-1'), /ends before it starts/);
  t.throws(() => parseIdList('1,,2'), /"" is not a CPU number or range/);
  t.throws(() => parseIdList('1-'), /is not a CPU number/);
  t.throws(() => parseIdList('a', 'node'), /not a node number/);
  t.throws(() => parseIdList('8192'), /above the kernel limit/);
  t.same(planExecCpuAffinity({ initial: '0-1', final: '1' }), { initial: [0, 1], final: [1] });
  t.same(planExecCpuAffinity({ initial: '0', final: '' }), { initial: [0] }, 'an empty final leaves the affinity alone');
  t.throws(() => planExecCpuAffinity({ final: '2-1' }), /^final: range "2-1"/);
});

t.test('set_mempolicy arguments', async (t) => {
  const bind = mempolicyArgs({ mode: 'MPOL_BIND', nodes: '0' });
  t.equal(bind.mode, 2);
  t.same([...bind.nodemask!], [1, 0, 0, 0, 0, 0, 0, 0], 'one unsigned long, bit 0');
  t.equal(bind.maxnode, 65, 'the kernel reads maxnode - 1 bits');
  const wide = mempolicyArgs({ mode: 'MPOL_INTERLEAVE', nodes: '1,9,64', flags: ['MPOL_F_STATIC_NODES'] });
  t.equal(wide.mode, 3 | (1 << 15));
  t.equal(wide.nodemask!.length, 16, 'two words for node 64');
  t.equal(wide.nodemask!.readBigUInt64LE(0), (1n << 1n) | (1n << 9n));
  t.equal(wide.nodemask!.readBigUInt64LE(8), 1n);
  t.equal(wide.maxnode, 129);
  t.same(mempolicyArgs({ mode: 'MPOL_LOCAL' }), { mode: 4, nodemask: null, maxnode: 0 });
  t.same(mempolicyArgs({ mode: 'MPOL_DEFAULT', nodes: '' }), { mode: 0, nodemask: null, maxnode: 0 });
  t.same(mempolicyArgs({ mode: 'MPOL_PREFERRED' }), { mode: 1, nodemask: null, maxnode: 0 }, 'empty = local allocation');
  t.equal(mempolicyArgs({ mode: 'MPOL_PREFERRED_MANY', nodes: '0' }).mode, 5);
  t.equal(mempolicyArgs({ mode: 'MPOL_WEIGHTED_INTERLEAVE', nodes: '0' }).mode, 6);
  t.equal(mempolicyArgs({ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_NUMA_BALANCING'] }).mode, 2 | (1 << 13));
  t.equal(mempolicyArgs({ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES'] }).mode, 2 | (1 << 14));

  t.throws(() => mempolicyArgs({ mode: 'MPOL_DEFAULT', nodes: '0' }), /^nodes: must be empty with MPOL_DEFAULT/);
  t.throws(() => mempolicyArgs({ mode: 'MPOL_LOCAL', nodes: '1' }), /^nodes: must be empty with MPOL_LOCAL/);
  t.throws(() => mempolicyArgs({ mode: 'MPOL_BIND', nodes: '' }), /^nodes: MPOL_BIND needs at least one node/);
  t.throws(() => mempolicyArgs({ mode: 'MPOL_DEFAULT', flags: ['MPOL_F_STATIC_NODES'] }), /^flags: MPOL_DEFAULT takes no flags/);
  t.throws(() => mempolicyArgs({ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }), /cannot be combined/);
  t.throws(() => mempolicyArgs({ mode: 'MPOL_BIND', nodes: '0-x' }), /^nodes: "0-x" is not a node number/);
});

t.test('field errors: the field is a property, and at() places it under the caller\'s pointer', async (t) => {
  const e = t.throws(() => planExecCpuAffinity({ initial: '0', final: '9-2' })) as unknown;
  t.type(e, FieldError);
  const f = e as FieldError;
  t.equal(f.field, 'final');
  t.equal(f.reason, 'range "9-2" ends before it starts');
  t.match(f.at('/process/execCPUAffinity'), { pointer: '/process/execCPUAffinity/final', message: '/process/execCPUAffinity/final: range "9-2" ends before it starts' });
  const list = t.throws(() => parseIdList('x')) as FieldError;
  t.equal(list.field, '', 'a list parser speaks of the value itself');
  t.equal(list.in('nodes').at('/linux/memoryPolicy').pointer, '/linux/memoryPolicy/nodes');
  t.match(t.throws(() => personalityValue({ domain: 'LINUX', flags: ['X'] })), { field: 'flags' });
});
