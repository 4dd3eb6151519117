// The pure parts of pause/resume/update/ps/events: runc's memory sizes (go-units RAMInBytes), Go
// durations (events --interval), update's flags and merge rules, the linux.resources schema
// check, and ps's argv split and table filtering. No root, no containers.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SpecError, UsageError } from '../../src/errors';
import { parseGoDuration } from '../../src/container/events';
import { filterPsOutput, pidColumn } from '../../src/container/ps';
import { joinFlagValues, parseResourcesJson, ramInBytes, resourcesFromFlags } from '../../src/cli/update-flags';
import type * as Update from '../../src/container/update';
import { splitPsArgv } from '../../src/cli/commands/ps';

const repo = path.resolve(__dirname, '../..');
// validateResources uses the generated validators: make sure they match schemas/ as they are now.
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
// (container/update.ts imports them, so it is loaded only now; a static import would run first.)
const { mergeResources, validateResources } = require('../../src/container/update') as typeof Update;

const MiB = 1024 * 1024;

t.test('memory sizes read like runc (go-units RAMInBytes, binary units)', async (t) => {
  const ok: Array<[string, number]> = [
    ['4096', 4096],
    ['0', 0],
    ['10b', 10],
    ['10B', 10],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['512m', 512 * MiB],
    ['512M', 512 * MiB],
    ['512mb', 512 * MiB],
    ['512MiB', 512 * MiB],
    ['1g', 1024 * MiB],
    ['1.5g', 1536 * MiB],
    ['1.5GiB', 1536 * MiB],
    ['100 KB', 100 * 1024],
    ['2t', 2 * 1024 * 1024 * MiB],
    ['1p', 2 ** 50],
    ['.5k', 512],
    ['1.7', 1], // go-units truncates to whole bytes
  ];
  for (const [text, bytes] of ok) t.equal(ramInBytes(text), bytes, text);
  const bad: Array<[string, RegExp]> = [
    ['', /invalid size: ''/],
    ['m', /invalid size/],
    ['-1', /invalid size/], // negative sizes are refused; the -1 of the flags is handled before
    ['1x', /invalid suffix: 'x'/],
    ['1kk', /invalid suffix/],
    ['1mbb', /invalid suffix/],
    ['1gi', /invalid suffix/],
    ['1  m', /invalid size/],
    ['1 m b', /invalid size/],
    ['16p', /too large/],
  ];
  for (const [text, re] of bad) {
    t.throws(() => ramInBytes(text), re, JSON.stringify(text));
    t.throws(() => ramInBytes(text), UsageError);
  }
});

t.test('Go durations (time.ParseDuration) for events --interval, in ms', async (t) => {
  const ok: Array<[string, number]> = [
    ['5s', 5000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['2h45m', 9_900_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2000000ns', 2],
    ['-2s', -2000],
    ['+3s', 3000],
    ['0', 0],
    ['-0', -0],
  ];
  for (const [text, ms] of ok) t.equal(parseGoDuration(text), ms, text);
  const bad: Array<[string, RegExp]> = [
    ['', /invalid duration ""/],
    ['-', /invalid duration/],
    ['5', /missing unit in duration "5"/],
    ['s', /invalid duration "s"/],
    ['5x', /unknown unit "x" in duration "5x"/],
    ['5S', /unknown unit "S"/],
    ['1..2s', /missing unit/],
    ['5s3', /missing unit/],
    ['10000000h', /invalid duration/], // past Go's int64 nanoseconds
  ];
  for (const [text, re] of bad) t.throws(() => parseGoDuration(text), re, JSON.stringify(text));
});

t.test('update flags become linux.resources (runc update.go)', async (t) => {
  t.same(resourcesFromFlags({}), {}, 'no flags, nothing to change');
  t.same(
    resourcesFromFlags({
      'blkio-weight': '500', 'cpu-period': '100000', 'cpu-quota': '-1', 'cpu-burst': '1000', 'cpu-share': '512',
      'cpu-rt-period': '1000000', 'cpu-rt-runtime': '950000', 'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'cpu-idle': '1',
      memory: '512m', 'memory-reservation': '256m', 'memory-swap': '-1', 'pids-limit': '20',
    }),
    {
      memory: { limit: 512 * MiB, swap: -1, reservation: 256 * MiB },
      cpu: { cpus: '0-1', mems: '0', idle: 1, burst: 1000, period: 100000, realtimePeriod: 1000000, shares: 512, quota: -1, realtimeRuntime: 950000 },
      blockIO: { weight: 500 },
      pids: { limit: 20 },
    },
  );
  t.same(resourcesFromFlags({ 'blkio-weight': '0', 'cpuset-cpus': '' }), {}, 'weight 0 and empty strings mean "not set", as in runc');
  t.same(resourcesFromFlags({ 'pids-limit': '-1' }), { pids: { limit: -1 } });
  t.same(resourcesFromFlags({ 'pids-limit': '0' }), { pids: { limit: 0 } }, 'an explicit 0 is passed on (runc checks IsSet)');
  t.same(resourcesFromFlags({ memory: '1g' }), { memory: { limit: 1024 * MiB } });
  t.same(resourcesFromFlags({ 'kernel-memory': '1m' }), { memory: { kernel: MiB } }, 'kernel memory reaches the merge, which drops it with a warning');
  t.same(resourcesFromFlags({ 'kernel-memory-tcp': '8m' }), { memory: { kernelTCP: 8 * MiB } }, '--kernel-memory-tcp is memory.kernelTCP');
  t.throws(() => resourcesFromFlags({ 'cpu-share': '-5' }), /invalid value "-5" for flag --cpu-share: not a non-negative integer/);
  t.throws(() => resourcesFromFlags({ 'cpu-quota': '1.5' }), /--cpu-quota: not an integer/);
  t.throws(() => resourcesFromFlags({ 'pids-limit': 'lots' }), /--pids-limit/);
  t.throws(() => resourcesFromFlags({ 'cpu-period': '99999999999999999999' }), /--cpu-period/, 'beyond 2^53 is refused rather than rounded');
  t.throws(() => resourcesFromFlags({ memory: '12q' }), /invalid value for memory: invalid suffix: 'q'/);
  t.throws(() => resourcesFromFlags({ 'l3-cache-schema': 'L3:0=f' }), /Intel RDT\/CAT.*not supported/);
  t.throws(() => resourcesFromFlags({ 'mem-bw-schema': 'MB:0=70' }), /Intel RDT\/MBA.*not supported/);
});

t.test('argv: values starting with "-" stay values (Go flag semantics)', async (t) => {
  const valued = ['memory', 'cpu-quota', 'resources', 'r'];
  t.same(joinFlagValues(['--memory', '-1', '--cpu-quota', '-1', 'id'], valued), ['--memory=-1', '--cpu-quota=-1', 'id']);
  t.same(joinFlagValues(['-r', '-', 'id'], valued), ['-r=-', 'id']);
  t.same(joinFlagValues(['--memory=1g', '--debug', 'id'], valued), ['--memory=1g', '--debug', 'id'], 'other tokens untouched');
  t.same(joinFlagValues(['id', '--', '--memory', '-1'], valued), ['id', '--', '--memory', '-1'], 'nothing after --');
  t.same(joinFlagValues(['--memory'], valued), ['--memory'], 'a trailing flag is left for the parser to refuse');
});

t.test('merging an update over the current limits', async (t) => {
  const base = {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 256 * MiB, swap: 512 * MiB },
    cpu: { quota: 50000, period: 100000, cpus: '0' },
    pids: { limit: 10 },
    blockIO: {
      weight: 100,
      weightDevice: [{ major: 8, minor: 0, weight: 200, leafWeight: 300 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
    network: { classID: 7, priorities: [{ name: 'eth0', priority: 1 }] },
    unified: { 'memory.high': '100M' },
  };
  const warnings: string[] = [];
  const merged = mergeResources(base, {
    devices: [{ allow: true, access: 'rwm' }],
    memory: { limit: 128 * MiB, kernel: MiB },
    cpu: { quota: 20000 },
    pids: { limit: 5 },
    blockIO: {
      weightDevice: [{ major: 8, minor: 0, weight: 250 }, { major: 8, minor: 16, weight: 400 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 2000 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 50 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 8 * MiB }, { pageSize: '1GB', limit: 0 }],
    network: { priorities: [{ name: 'eth1', priority: 2 }] },
    unified: { 'memory.max': '200M' },
  }, (m) => warnings.push(m));
  t.same(merged, {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 128 * MiB, swap: 512 * MiB },
    cpu: { quota: 20000, period: 100000, cpus: '0' },
    pids: { limit: 5 },
    blockIO: {
      weight: 100,
      weightDevice: [{ major: 8, minor: 0, weight: 250, leafWeight: 300 }, { major: 8, minor: 16, weight: 400 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 2000 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 50 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 8 * MiB }, { pageSize: '1GB', limit: 0 }],
    network: { classID: 7, priorities: [{ name: 'eth0', priority: 1 }, { name: 'eth1', priority: 2 }] },
    unified: { 'memory.high': '100M', 'memory.max': '200M' },
  }, 'given values replace, omitted ones stay, lists are upserted, devices are never changed');
  t.same(warnings, ['Kernel memory settings are ignored and will be removed']);
  t.equal(base.cpu.quota, 50000, 'the base is not modified');
  t.equal(base.blockIO.weightDevice[0].weight, 200, 'nor its lists');

  t.same(mergeResources({ memory: { limit: MiB, swap: 2 * MiB } }, { memory: { limit: -1 } }), { memory: { limit: -1, swap: -1 } },
    'unlimited memory without a swap value makes swap unlimited too (v1 needs memsw >= limit)');
  t.same(mergeResources({}, { memory: { limit: -1, swap: 4 * MiB } }), { memory: { limit: -1, swap: 4 * MiB } }, 'an explicit swap is kept');
  t.same(mergeResources({ pids: { limit: 3 } }, {}), { pids: { limit: 3 } }, 'an empty update keeps everything');
  t.same(mergeResources({ memory: { limit: 5, checkBeforeUpdate: true } }, { pids: { limit: 1 } }), { memory: { limit: 5 }, pids: { limit: 1 } },
    'checkBeforeUpdate of an earlier update is not carried over (runc resets it each time)');
  t.same(mergeResources({ memory: { limit: 5 } }, { memory: { limit: 4, checkBeforeUpdate: true } }), { memory: { limit: 4, checkBeforeUpdate: true } },
    'the update that asks for it gets it');
  t.same(mergeResources({}, { memory: { kernel: 5 } }, () => {}), {}, 'kernel-only memory leaves nothing to write');
  const tcpWarnings: string[] = [];
  t.same(mergeResources({ memory: { limit: MiB } }, { memory: { kernelTCP: 5 * MiB } }, (m) => tcpWarnings.push(m)), { memory: { limit: MiB, kernelTCP: 5 * MiB } },
    'kernelTCP is merged like any limit (the cgroup manager applies it or warns)');
  t.same(tcpWarnings, [], 'and the merge does not warn about it');
  const dup = mergeResources({ blockIO: { throttleReadBpsDevice: [{ major: 1, minor: 1, rate: 1 }, { major: 1, minor: 1, rate: 2 }] } },
    { blockIO: { throttleReadBpsDevice: [{ major: 1, minor: 1, rate: 9 }] } });
  t.same(dup.blockIO?.throttleReadBpsDevice, [{ major: 1, minor: 1, rate: 1 }, { major: 1, minor: 1, rate: 9 }], 'with duplicates the last one is updated (runc)');
});

t.test('the resources document is checked against the linux.resources schema', async (t) => {
  const doc = { memory: { limit: 1024, swap: -1 }, cpu: { shares: 512, cpus: '0' }, pids: { limit: 10 }, future: { x: 1 } };
  t.equal(validateResources(doc), doc, 'valid, unknown properties allowed (config.md)');
  t.same(validateResources({}), {});
  const bad: Array<[unknown, string]> = [
    [{ memory: { limit: 'lots' } }, '/linux/resources/memory/limit: must be an integer'],
    [{ memory: { swappiness: 101 } }, '/linux/resources/memory/swappiness'],
    [{ cpu: { shares: -1 } }, '/linux/resources/cpu/shares: must be a uint64'],
    [{ pids: {} }, '/linux/resources/pids/limit: is required'],
    [{ blockIO: { weight: 70000 } }, '/linux/resources/blockIO/weight'],
    [[], '/linux/resources: must be an object'],
    [null, '/linux/resources: must be an object'],
  ];
  for (const [input, message] of bad) {
    try {
      validateResources(input);
      t.fail(`accepted ${JSON.stringify(input)}`);
    } catch (e) {
      t.type(e, SpecError);
      t.match((e as Error).message, message, JSON.stringify(input));
      t.equal((e as SpecError).code, 'invalid-resources');
    }
  }
  t.throws(() => parseResourcesJson('{"memory":', 'stdin'), /stdin: invalid JSON/);
});

t.test('ps: argv split at the container id (runc StopOnNthArg)', async (t) => {
  t.same(splitPsArgv(['c1']), { own: [], id: 'c1', psArgs: [] });
  t.same(splitPsArgv(['--format', 'json', 'c1']), { own: ['--format', 'json'], id: 'c1', psArgs: [] });
  t.same(splitPsArgv(['-f', 'table', 'c1', '-ef']), { own: ['-f', 'table'], id: 'c1', psArgs: ['-ef'] });
  t.same(splitPsArgv(['--format=json', 'c1', 'aux']), { own: ['--format=json'], id: 'c1', psArgs: ['aux'] });
  t.same(splitPsArgv(['c1', '--', '-o', 'pid,args']), { own: [], id: 'c1', psArgs: ['-o', 'pid,args'] });
  t.same(splitPsArgv(['--', 'c1', '-eo', 'pid']), { own: [], id: 'c1', psArgs: ['-eo', 'pid'] });
  t.same(splitPsArgv(['--help']), { own: ['--help'], psArgs: [] });
});

t.test('ps: the table keeps the header and the container\'s lines', async (t) => {
  const out = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 10:00 ?        00:00:01 /sbin/init',
    'root        4242       1  0 10:01 ?        00:00:00 sh -c sleep 100',
    'root        4243    4242  0 10:01 ?        00:00:00 sleep 100',
    'root       14242       1  0 10:02 pts/0    00:00:00 bash',
    '',
  ].join('\n');
  t.equal(pidColumn(out.split('\n')[0]), 1);
  t.equal(filterPsOutput(out, [4242, 4243]), [out.split('\n')[0], out.split('\n')[2], out.split('\n')[3]].join('\n') + '\n',
    'header, then exactly the lines of the two pids (not 14242, which contains 4242)');
  t.equal(filterPsOutput(out, []), out.split('\n')[0] + '\n', 'no processes: the header only');
  const bsd = 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot        4242  0.0  0.0   1000   500 ?        S    10:01   0:00 sh\n';
  t.equal(filterPsOutput(bsd, [4242]), bsd, 'BSD-style columns (ps aux): PID is the second column too');
  const pidFirst = '    PID COMMAND\n   4242 sh\n   4300 other\n';
  t.equal(filterPsOutput(pidFirst, [4242]), '    PID COMMAND\n   4242 sh\n', 'leading spaces do not shift the columns');
  t.throws(() => filterPsOutput('COMMAND\nsh\n', [1]), /couldn't find PID field/);
  t.throws(() => filterPsOutput('PID CMD\nabc sh\n', [1]), /unable to parse pid: "abc"/);
});
