// Pure cgroup v2 value conversions (src/cgroups/convert-v2.ts) and the pure parts of the v2
// controllers: memory+swap -> memory.swap.max (runc's table), limit texts, cpu.max composition,
// io.max lines, rdma.max lines, unified key -> controller, v2 stat file parsing.
import t from 'tap';
import { limitValueV2, memorySwapV2 } from '../../src/cgroups/convert-v2';
import { cpuMaxValue } from '../../src/cgroups/v2/cpu';
import { ioMaxLines } from '../../src/cgroups/v2/io';
import { memoryWrites } from '../../src/cgroups/v2/memory';
import { rdmaLines } from '../../src/cgroups/v2/rdma';
import { parseFlatKeyed, parseValue, UNLIMITED } from '../../src/cgroups/v2/stat-files';
import { unifiedController } from '../../src/cgroups/v2/unified';
import { SpecError } from '../../src/errors';

t.test('memory+swap -> memory.swap.max, case by case as runc (TestConvertMemorySwapToCgroupV2Value)', async (t) => {
  const ok: Array<[number, number, number]> = [
    // [swap, limit, swap.max]
    [0, 0, 0], // both unset
    [-1, 0, -1], // unlimited swap, no memory limit
    [-1, -1, -1],
    [0, -1, -1], // memory unlimited and swap unset: both unlimited
    [-1, 1000, -1],
    [1000, 1000, 0], // equal: no swap at all
    [500, 200, 300],
    [5000, -1, 5000], // unlimited memory: nothing to subtract
  ];
  for (const [swap, limit, want] of ok) t.equal(memorySwapV2(swap, limit), want, `swap ${swap}, limit ${limit}`);
  t.throws(() => memorySwapV2(300, 400), { pointer: '/linux/resources/memory/swap', message: /must be >= the memory limit 400/ });
  t.throws(() => memorySwapV2(300, 0), { message: /without a memory limit/ });
  t.throws(() => memorySwapV2(300, -2), SpecError);
});

t.test('limit values: -1 is max, 0 is unset, int64 values keep all their digits', async (t) => {
  t.equal(limitValueV2(-1), 'max');
  t.equal(limitValueV2(0), '');
  t.equal(limitValueV2(4096), '4096');
  t.equal(limitValueV2(9223372036854775807), '9223372036854775808', 'no "e+18" notation for the kernel (the double nearest int64 max)');
  t.same(memoryWrites({ memory: { limit: 1000, swap: 1000 } }), { swap: '0', max: '1000', low: '' }, 'swap == limit writes 0, not nothing');
  t.same(memoryWrites({ memory: { limit: -1 } }), { swap: 'max', max: 'max', low: '' });
  t.same(memoryWrites({ memory: { reservation: 512 } }), { swap: '', max: '', low: '512' });
  t.throws(() => memoryWrites({ memory: { limit: -2 } }), { code: 'invalid-config', pointer: '/linux/resources/memory/limit' });
});

t.test('cpu.max keeps the part the config leaves unset', async (t) => {
  t.equal(cpuMaxValue({ cpu: { quota: 50000, period: 200000 } }, 'max 100000'), '50000 200000');
  t.equal(cpuMaxValue({ cpu: { quota: 50000 } }, 'max 250000\n'), '50000 250000', 'period kept');
  t.equal(cpuMaxValue({ cpu: { period: 50000 } }, '20000 100000'), '20000 50000', 'quota kept');
  t.equal(cpuMaxValue({ cpu: { quota: -1 } }, '20000 100000'), 'max 100000', '-1 lifts the quota');
  t.equal(cpuMaxValue({ cpu: { quota: 1000 } }, undefined), '1000 100000', 'kernel default period when nothing is known');
});

t.test('io.max lines and rdma.max lines', async (t) => {
  t.same(
    ioMaxLines({
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 259, minor: 0, rate: 120 }],
    }),
    ['8:0 rbps=1048576', '8:16 wbps=max', '8:0 riops=100', '259:0 wiops=120'],
  );
  t.same(rdmaLines({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } } }), [
    'mlx5_1 hca_handle=3 hca_object=10000',
    'mlx4_0 hca_object=1000',
  ]);
  t.throws(() => rdmaLines({ rdma: { rxe3: {} } }), { pointer: '/linux/resources/rdma/rxe3', message: /hcaHandles or hcaObjects/ });
  t.throws(() => rdmaLines({ rdma: { 'a b': { hcaObjects: 1 } } }), /without whitespace/);
  t.throws(() => rdmaLines({ rdma: { x: { hcaObjects: 2 ** 32 } } }), { code: 'invalid-config', pointer: '/linux/resources/rdma/x/hcaObjects' });
});

t.test('unified keys name their controller', async (t) => {
  t.equal(unifiedController('memory.high'), 'memory');
  t.equal(unifiedController('hugetlb.1GB.max'), 'hugetlb');
  t.equal(unifiedController('cgroup.max.depth'), 'cgroup');
});

t.test('stat file parsing', async (t) => {
  t.equal(parseValue('max\n'), UNLIMITED);
  t.equal(parseValue('123\n'), 123);
  t.equal(parseValue('garbage'), undefined);
  t.equal(parseValue(undefined), undefined);
  t.same(parseFlatKeyed('anon 10\nfile 20\nbroken\nmax max\n\n'), { anon: 10, file: 20, max: UNLIMITED });
  t.equal(parseFlatKeyed(undefined), undefined);
  t.ok(Number.isSafeInteger(UNLIMITED), '"max" serialises to a number every JSON reader can parse');
});
