// Pure resource conversions: device rule strings and order, pids.max values, and which resource
// fields each layout refuses.
import t from 'tap';
import { pidsMaxValue } from '../../src/cgroups/convert';
import { validateResources } from '../../src/cgroups/resources';
import { V1_CONTROLLERS } from '../../src/cgroups/v1/manager';
import { DEFAULT_ALLOWED_DEVICES, deviceWrites } from '../../src/cgroups/v1/devices';
import { SpecError, UnsupportedError } from '../../src/errors';
import type { LinuxResources } from '../../src/cgroups/types';

// Every list starts from deny-all (a new v1 devices cgroup inherits its parent's list, usually
// allow-all), as runc does on v1 and tsrun's eBPF program does on v2.
const DENY_ALL = 'devices.deny a *:* rwm';
const DEFAULT_LINES = [
  'devices.allow c *:* m',
  'devices.allow b *:* m',
  'devices.allow c 1:3 rwm',
  'devices.allow c 1:5 rwm',
  'devices.allow c 1:7 rwm',
  'devices.allow c 1:8 rwm',
  'devices.allow c 1:9 rwm',
  'devices.allow c 5:0 rwm',
  'devices.allow c 5:2 rwm',
  'devices.allow c 136:* rwm',
];
const flat = (ws: { file: string; line: string }[]) => ws.map((w) => `${w.file} ${w.line}`);

t.test('deny-all then the defaults, in that order', async (t) => {
  t.same(flat(deviceWrites([{ allow: false, access: 'rwm' }])), [DENY_ALL, 'devices.deny a *:* rwm', ...DEFAULT_LINES]);
  t.same(flat(deviceWrites([])), [DENY_ALL, ...DEFAULT_LINES], 'an empty list is deny-all plus the defaults');
  t.same(flat(deviceWrites([{ allow: true, type: 'a', access: 'rwm' }])), [DENY_ALL, 'devices.allow a *:* rwm', ...DEFAULT_LINES], 'an explicit allow-all comes after the leading deny-all, so it wins');
});

t.test('config rules keep their order and compose like runc', async (t) => {
  const lines = flat(
    deviceWrites([
      { allow: false },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
      { allow: true, type: 'b', major: 8, access: 'r' },
      { allow: false, type: 'c', major: -1, minor: 3, access: 'mwr' },
      { allow: true, type: 'c', major: 4, minor: 1, access: 'rrw' },
    ]),
  );
  t.equal(lines[0], DENY_ALL, 'the leading deny-all comes before the config rules');
  t.same(lines.slice(1, 6), [
    'devices.deny a *:* rwm',
    'devices.allow c 10:229 rw',
    'devices.allow b 8:* r',
    'devices.deny c *:3 rwm',
    'devices.allow c 4:1 rw',
  ]);
  t.same(lines.slice(6), DEFAULT_LINES);
});

t.test('a narrower "a" rule becomes a char and a block rule (the kernel reads any "a" as everything)', async (t) => {
  t.same(flat(deviceWrites([{ allow: false, access: 'w' }])).slice(0, 3), [DENY_ALL, 'devices.deny c *:* w', 'devices.deny b *:* w']);
  t.same(flat(deviceWrites([{ allow: true, type: 'a', major: 1 }])).slice(0, 3), [DENY_ALL, 'devices.allow c 1:* rwm', 'devices.allow b 1:* rwm']);
});

t.test('bad rules are refused with a pointer', async (t) => {
  t.throws(() => deviceWrites([{ allow: true }, { allow: true, access: 'rx' }]), { pointer: '/linux/resources/devices/1/access', message: /only "r", "w" and "m"/ });
  t.throws(() => deviceWrites([{ allow: true, type: 'u' as 'c' }]), { pointer: '/linux/resources/devices/0/type', message: /"a", "c" or "b"/ });
  t.throws(() => deviceWrites([{ allow: true, type: 'c', major: -5 }]), { pointer: '/linux/resources/devices/0/major', message: /device number/ });
  t.throws(() => deviceWrites([{ allow: true, type: 'c', major: 1, minor: 2.5 }]), SpecError);
});

t.test('DEFAULT_ALLOWED_DEVICES covers the spec default devices and pts', async (t) => {
  const byPath = new Map(DEFAULT_ALLOWED_DEVICES.filter((d) => d.path).map((d) => [d.path, `${d.major}:${d.minor ?? '*'}`]));
  t.same(Object.fromEntries(byPath), {
    '/dev/null': '1:3',
    '/dev/zero': '1:5',
    '/dev/full': '1:7',
    '/dev/random': '1:8',
    '/dev/urandom': '1:9',
    '/dev/tty': '5:0',
    '/dev/ptmx': '5:2',
    '/dev/pts/*': '136:*',
  });
  t.ok(DEFAULT_ALLOWED_DEVICES.every((d) => d.allow), 'only allow rules');
  t.ok(Object.isFrozen(DEFAULT_ALLOWED_DEVICES));
});

t.test('pids.max values', async (t) => {
  t.equal(pidsMaxValue(-1), 'max');
  t.equal(pidsMaxValue(-42), 'max');
  t.equal(pidsMaxValue(0), '0', '0 is a real limit (runtime-spec PR #1279)');
  t.equal(pidsMaxValue(5), '5');
  t.equal(pidsMaxValue(4194304), '4194304');
  t.throws(() => pidsMaxValue(1.5), { pointer: '/linux/resources/pids/limit', message: /integer/ });
  t.throws(() => pidsMaxValue(Number.NaN), SpecError);
});

t.test('validateResources with the v1 controllers (the v1 manager\'s pre-write check; v2 has its own list)', async (t) => {
  const validateV1 = (r: LinuxResources) => validateResources(V1_CONTROLLERS, r, () => {});
  t.doesNotThrow(() => validateV1({ pids: { limit: 5 }, devices: [{ allow: false }] }));
  t.doesNotThrow(() => validateV1({ devices: [{ allow: false }] }));
  t.doesNotThrow(() => validateV1({ pids: { limit: 5 }, devices: [] }), 'an empty device list (deny-all plus the defaults) is fine');
  const uni = t.throws(() => validateV1({ pids: { limit: 1 }, unified: { 'memory.high': '1M' } }));
  t.type(uni, UnsupportedError);
  t.match(uni, { pointer: '/linux/resources/unified', code: 'unsupported', message: /cannot be applied on a cgroup v1 host/ });
  t.throws(() => validateV1({ unified: { 'io.max': 'x' } }), { pointer: '/linux/resources/unified', message: /hybrid hosts keep their controllers in v1/ });
  t.throws(() => validateV1({ devices: [{ allow: true, access: 'z' }] }), { pointer: '/linux/resources/devices/0/access', message: /"z"/ });
  t.throws(() => validateV1({ devices: [{ allow: true, type: 'c', major: -2 }] }), { pointer: '/linux/resources/devices/0/major', message: /device number/ });
  t.doesNotThrow(() => validateV1({ memory: undefined }), 'explicitly undefined fields are absent');
});
