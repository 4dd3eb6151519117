// The refusals before set() writes anything on a v1 or hybrid host (src/cgroups/resources.ts and
// the v1 controllers' validate(): values the spec forbids, fields v1 does not implement,
// controllers the host lacks) and the shared conversions of src/cgroups/convert.ts.
import t from 'tap';
import type { ResourceController } from '../../src/cgroups/controller';
import {
  blkioWeightToIoWeight,
  cpuSharesToWeight,
  hugePageSizeFromSysfs,
  hugePageSizeName,
  intString,
} from '../../src/cgroups/convert';
import { CgroupError } from '../../src/cgroups/errors';
import { controllersToWrite, validateResources } from '../../src/cgroups/resources';
import { V1_CONTROLLERS } from '../../src/cgroups/v1/manager';
import type { LinuxResources } from '../../src/cgroups/types';
import { SpecError, UnsupportedError } from '../../src/errors';

/** What the v1 manager's set() decides before anything is written (v1 and hybrid hosts alike). */
const validateV1 = (r: LinuxResources): void => validateResources(V1_CONTROLLERS, r, () => {});

t.test('every v1 field is accepted with valid values', async (t) => {
  const all: LinuxResources = {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 1 << 30, reservation: -1, swap: -1, kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: true },
    cpu: { shares: 1024, quota: 100000, burst: 100000, period: 100000, realtimeRuntime: -1, realtimePeriod: 1000000, cpus: '0-3,7', mems: '0', idle: 1 },
    pids: { limit: -1 },
    blockIO: { weight: 10, leafWeight: 1000, weightDevice: [{ major: 8, minor: 0, leafWeight: 300 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 0 }] },
    hugepageLimits: [{ pageSize: '64KB', limit: 9223372036854775807 }],
    network: { classID: 0xffffffff, priorities: [{ name: 'eth0', priority: 0 }] },
    rdma: { mlx5_1: { hcaObjects: 0 } },
    unified: {},
  };
  t.doesNotThrow(() => validateV1(all));
  const fields = ['blockIO', 'cpu', 'devices', 'hugepageLimits', 'memory', 'network', 'pids', 'rdma'];
  const written = (f: string) => V1_CONTROLLERS.some((c) => c.hierarchy !== 'unified' && (c.pointer === `/linux/resources/${f}` || c.pointer.startsWith(`/linux/resources/${f}/`)));
  t.same(fields.filter(written), fields, 'a v1 controller writes each field');
});

t.test('values the spec or the kernel forbid are SpecErrors at their pointer', async (t) => {
  const cases: Array<[LinuxResources, string, RegExp]> = [
    [{ memory: { swappiness: 101 } }, '/linux/resources/memory/swappiness', /0\.\.100/],
    [{ memory: { limit: -2 } }, '/linux/resources/memory/limit', />= -1/],
    [{ memory: { limit: 1.5 } }, '/linux/resources/memory/limit', /integer/],
    [{ memory: { limit: 2 << 20, swap: 1 << 20 } }, '/linux/resources/memory/swap', /at least the memory limit \(2097152\)/],
    [{ memory: { limit: -1, swap: 1 << 20 } }, '/linux/resources/memory/swap', /memory limit is -1/],
    [{ cpu: { quota: 1000, burst: 2000 } }, '/linux/resources/cpu/burst', /must not exceed the quota \(1000\)/],
    [{ cpu: { quota: -1, burst: 2000 } }, '/linux/resources/cpu/burst', /quota is -1/],
    [{ cpu: { idle: 2 } }, '/linux/resources/cpu/idle', /0\.\.1/],
    [{ cpu: { shares: -5 } }, '/linux/resources/cpu/shares', />= 0/],
    [{ cpu: { cpus: '0\n1' } }, '/linux/resources/cpu/cpus', /list/],
    [{ blockIO: { weight: 70000 } }, '/linux/resources/blockIO/weight', /0\.\.65535/],
    [{ blockIO: { weightDevice: [{ major: 8, minor: 0 }] } }, '/linux/resources/blockIO/weightDevice/0', /weight, leafWeight or both/],
    [{ blockIO: { throttleReadBpsDevice: [{ major: -1, minor: 0, rate: 1 }] } }, '/linux/resources/blockIO/throttleReadBpsDevice/0/major', />= 0/],
    [{ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, '/linux/resources/hugepageLimits/0/pageSize', /"2M"/],
    [{ hugepageLimits: [{ pageSize: '2MB', limit: -1 }] }, '/linux/resources/hugepageLimits/0/limit', />= 0/],
    [{ network: { classID: 2 ** 32 } }, '/linux/resources/network/classID', /0\.\.4294967295/],
    [{ network: { priorities: [{ name: 'eth0 7', priority: 1 }] } }, '/linux/resources/network/priorities/0/name', /interface name/],
    [{ rdma: { mlx5_0: {} } }, '/linux/resources/rdma/mlx5_0', /hcaHandles, hcaObjects or both/],
    [{ rdma: { 'a b': { hcaHandles: 1 } } }, '/linux/resources/rdma/a b', /not an RDMA device name/],
    [{ pids: { limit: 0.5 } }, '/linux/resources/pids/limit', /integer/],
    [{ devices: [{ allow: true, type: 'x' as 'a' }] }, '/linux/resources/devices/0/type', /"x"/],
  ];
  for (const [r, pointer, message] of cases) {
    const err = t.throws(() => validateV1(r), pointer);
    t.type(err, SpecError, pointer);
    t.match(err, { pointer, message }, pointer);
  }
});

t.test('layout support', async (t) => {
  const err = t.throws(() => validateV1({ unified: { 'memory.high': '1G' } }));
  t.type(err, UnsupportedError);
  t.match(err, { pointer: '/linux/resources/unified', message: /cannot be applied on a cgroup v1 host/ });
  t.throws(() => validateV1({ unified: { 'pids.max': '5' } }), UnsupportedError);
  // Pure v2 has its own list, where the v1-only network field is refused
  // (test/unit/cgroups-v2-controllers.test.ts).
  t.doesNotThrow(() => validateV1({ pids: { limit: 1 }, network: {}, memory: { limit: undefined }, unified: {} }), 'empty fields are absent');
  const unknown = t.throws(() => validateV1({ future: { x: 1 } } as LinuxResources));
  t.type(unknown, UnsupportedError);
  t.match(unknown, { pointer: '/linux/resources/future', message: /not supported by tsrun yet/ }, 'a field no controller implements is refused by name');
});

t.test('controllersToWrite: order kept, a missing hierarchy named', async (t) => {
  const ctl = (hierarchy: string, pointer: string, wants: keyof LinuxResources): ResourceController => ({
    hierarchy,
    pointer,
    applies: (r) => r[wants] !== undefined,
    validate: () => {},
    write: () => {},
  });
  const list = [ctl('memory', '/linux/resources/memory', 'memory'), ctl('hugetlb', '/linux/resources/hugepageLimits', 'hugepageLimits'), ctl('pids', '/linux/resources/pids', 'pids')];
  const dirs = { memory: '/m', pids: '/p' };
  t.same(controllersToWrite(list, dirs, { pids: { limit: 1 }, memory: {} }).map(([c, d]) => [c.hierarchy, d]), [['memory', '/m'], ['pids', '/p']]);
  const err = t.throws(() => controllersToWrite(list, dirs, { hugepageLimits: [] }));
  t.type(err, CgroupError);
  t.match(err, { code: 'cgroup-missing', message: '/linux/resources/hugepageLimits: the hugetlb cgroup controller is not mounted on this host' });
});

t.test('convert: huge page size names as the kernel prints them', async (t) => {
  t.equal(hugePageSizeName('2MB'), '2MB');
  t.equal(hugePageSizeName('2048KB'), '2MB');
  t.equal(hugePageSizeName('1024MB'), '1GB');
  t.equal(hugePageSizeName('1048576KB'), '1GB');
  t.equal(hugePageSizeName('64KB'), '64KB');
  t.equal(hugePageSizeName('16GB'), '16GB');
  for (const bad of ['2mb', '2M', '0MB', 'MB', '2 MB', '2TB', '']) t.throws(() => hugePageSizeName(bad), SpecError, bad);
  t.equal(hugePageSizeFromSysfs('hugepages-2048kB'), '2MB');
  t.equal(hugePageSizeFromSysfs('hugepages-1048576kB'), '1GB');
  t.equal(hugePageSizeFromSysfs('hugepages-x'), undefined);
});

t.test('convert: shares -> weight (runc 1.3.2 curve), blkio weight -> io.weight, int64 text', async (t) => {
  t.equal(cpuSharesToWeight(0), 0, 'unset');
  t.equal(cpuSharesToWeight(2), 1, 'min -> min');
  t.equal(cpuSharesToWeight(1024), 100, 'default -> default');
  t.equal(cpuSharesToWeight(262144), 10000, 'max -> max');
  t.equal(cpuSharesToWeight(512), 59);
  t.equal(cpuSharesToWeight(2048), 174);
  t.equal(blkioWeightToIoWeight(0), 0);
  t.equal(blkioWeightToIoWeight(10), 1);
  t.equal(blkioWeightToIoWeight(1000), 10000);
  t.equal(blkioWeightToIoWeight(500), 4950);
  t.equal(intString(-1), '-1');
  t.equal(intString(1 << 30), '1073741824');
  t.equal(intString(9223372036854775807), '9223372036854775808');
  t.equal(intString(1e21), '1000000000000000000000');
});
