// Schema-level validation of config.json (src/spec/validate.ts + schemas/): valid configs pass,
// unknown properties are ignored, and each violation is reported as one line with the JSON
// pointer of the offending value and what was expected there.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SpecError, UnsupportedError } from '../../src/errors';
import type * as Validate from '../../src/spec/validate';
import type * as Checks from '../../src/spec/checks';
import { SPEC_VERSION } from '../../src/spec/version';

// The validators are generated code (gitignored); build them from the current schemas first.
const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
const { validateSpec, describeSchemaError } = require('../../src/spec/validate') as typeof Validate;
const { runSemanticChecks } = require('../../src/spec/checks') as typeof Checks;

// `runc spec` output of runc 1.1.5+ds1 (Debian 12), compacted.
const RUNC_DEFAULT = `{"ociVersion":"1.0.2-dev","process":{"terminal":true,"user":{"uid":0,"gid":0},"args":["sh"],
"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=xterm"],"cwd":"/",
"capabilities":{"bounding":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"],
"effective":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"],"permitted":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"],
"ambient":["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],
"noNewPrivileges":true},"root":{"path":"rootfs","readonly":true},"hostname":"runc",
"mounts":[{"destination":"/proc","type":"proc","source":"proc"},
{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
{"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
{"destination":"/dev/shm","type":"tmpfs","source":"shm","options":["nosuid","noexec","nodev","mode=1777","size=65536k"]},
{"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]}],
"linux":{"resources":{"devices":[{"allow":false,"access":"rwm"}]},
"namespaces":[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],
"maskedPaths":["/proc/acpi","/proc/asound","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list",
"/proc/timer_stats","/proc/sched_debug","/sys/firmware","/proc/scsi"],
"readonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}}`;

type Json = any;
function minimal(): Json {
  return {
    ociVersion: SPEC_VERSION,
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['/bin/true'], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
  };
}
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

t.test('a minimal config passes and is returned as is', async (t) => {
  const cfg = minimal();
  t.equal(validateSpec(cfg), cfg);
});

t.test("runc's default config", async (t) => {
  const cfg = JSON.parse(RUNC_DEFAULT);
  // Schema and semantic checks accept it as it is, terminal included (src/linux/pty.ts).
  t.doesNotThrow(() => runSemanticChecks(cfg));
  t.equal(validateSpec(cfg), cfg);
});

t.test('unknown properties are ignored at every level (config.md)', async (t) => {
  const cfg = minimal();
  cfg.futureField = { anything: [1, 2] };
  cfg.process.somethingNew = true;
  cfg.process.user.extra = 'x';
  cfg.root.newFlag = 1;
  cfg.linux.vendorThing = {};
  cfg.linux.namespaces[0].flags = ['x'];
  cfg.linux.resources = { pids: { limit: 10, newer: 1 }, futureController: { x: 1 } };
  cfg.mounts = [{ destination: '/proc', type: 'proc', source: 'proc', extra: null }];
  cfg.windows = { layerFolders: [] };
  t.equal(validateSpec(cfg), cfg);
});

// [what, change, expected message]
const violations: Array<[string, (c: Json) => void, string]> = [
  ['ociVersion missing', (c) => delete c.ociVersion, '/ociVersion: is required'],
  ['ociVersion not a string', (c) => (c.ociVersion = 1), '/ociVersion: must be a string'],
  ['root missing', (c) => delete c.root, '/root: is required'],
  ['root.path missing', (c) => delete c.root.path, '/root/path: is required'],
  ['root.readonly not boolean', (c) => (c.root.readonly = 'yes'), '/root/readonly: must be a boolean'],
  ['process.cwd missing', (c) => delete c.process.cwd, '/process/cwd: is required'],
  ['process.args missing', (c) => delete c.process.args, '/process/args: is required'],
  ['process.args empty', (c) => (c.process.args = []), '/process/args: must have at least 1 item'],
  ['process.args entry not a string', (c) => (c.process.args = ['sh', 1]), '/process/args/1: must be a string'],
  ['process.user missing', (c) => delete c.process.user, '/process/user: is required'],
  ['user.uid missing', (c) => delete c.process.user.uid, '/process/user/uid: is required'],
  ['user.gid negative', (c) => (c.process.user.gid = -1), '/process/user/gid: must be a uint32 (0..4294967295)'],
  ['user.uid too big', (c) => (c.process.user.uid = 4294967296), '/process/user/uid: must be a uint32 (0..4294967295)'],
  ['user.uid fractional', (c) => (c.process.user.uid = 1.5), '/process/user/uid: must be an integer'],
  ['additionalGids entry', (c) => (c.process.user.additionalGids = [1, -2]), '/process/user/additionalGids/1: must be a uint32 (0..4294967295)'],
  ['terminal not boolean', (c) => (c.process.terminal = 'yes'), '/process/terminal: must be a boolean'],
  ['oomScoreAdj out of range', (c) => (c.process.oomScoreAdj = 1001), '/process/oomScoreAdj: must be between -1000 and 1000'],
  ['rlimit without soft', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1 }]), '/process/rlimits/0/soft: is required'],
  ['rlimit hard negative', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: -1 }]), '/process/rlimits/0/hard: must be a uint64 (0..18446744073709551615)'],
  ['env not an array', (c) => (c.process.env = 'PATH=/bin'), '/process/env: must be an array'],
  ['consoleSize without width', (c) => (c.process.consoleSize = { height: 1 }), '/process/consoleSize/width: is required'],
  ['scheduler policy unknown', (c) => (c.process.scheduler = { policy: 'SCHED_FAST' }), '/process/scheduler/policy: must be one of SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE'],
  ['hostname not a string', (c) => (c.hostname = 5), '/hostname: must be a string'],
  ['mounts not an array', (c) => (c.mounts = {}), '/mounts: must be an array'],
  ['mount without destination', (c) => (c.mounts = [{ type: 'proc', source: 'proc' }]), '/mounts/0/destination: is required'],
  ['mount options not strings', (c) => (c.mounts = [{ destination: '/x', options: [true] }]), '/mounts/0/options/0: must be a string'],
  ['hook without path', (c) => (c.hooks = { poststop: [{ args: [] }] }), '/hooks/poststop/0/path: is required'],
  ['hook timeout zero', (c) => (c.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] }), '/hooks/poststop/0/timeout: must be at least 1'],
  ['annotation value not a string', (c) => (c.annotations = { 'a/b': 1 }), '/annotations/a~1b: must be a string'],
  ['namespace type unknown', (c) => (c.linux.namespaces = [{ type: 'net' }]), '/linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time'],
  ['namespace without type', (c) => (c.linux.namespaces = [{ path: '/proc/1/ns/net' }]), '/linux/namespaces/0/type: is required'],
  ['uidMappings entry without size', (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]), '/linux/uidMappings/0/size: is required'],
  ['device without path', (c) => (c.linux.devices = [{ type: 'c', major: 1, minor: 3 }]), '/linux/devices/0/path: is required'],
  ['device type unknown', (c) => (c.linux.devices = [{ type: 'x', path: '/dev/x' }]), '/linux/devices/0/type: must be one of c, b, u, p'],
  ['device fileMode negative', (c) => (c.linux.devices = [{ type: 'c', path: '/dev/x', major: 1, minor: 1, fileMode: -1 }]), '/linux/devices/0/fileMode: must be a uint32 (0..4294967295)'],
  ['timeOffsets nanosecs negative', (c) => (c.linux.timeOffsets = { monotonic: { nanosecs: -1 } }), '/linux/timeOffsets/monotonic/nanosecs: must be a uint32 (0..4294967295)'],
  ['sysctl value not a string', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }), '/linux/sysctl/net.ipv4.ip_forward: must be a string'],
  ['cgroup device rule without allow', (c) => (c.linux.resources = { devices: [{ access: 'rwm' }] }), '/linux/resources/devices/0/allow: is required'],
  ['cgroup device access letters', (c) => (c.linux.resources = { devices: [{ allow: true, access: 'rwx' }] }), '/linux/resources/devices/0/access: must match the pattern ^[rwm]*$'],
  ['pids without limit', (c) => (c.linux.resources = { pids: {} }), '/linux/resources/pids/limit: is required'],
  ['pids limit not integer', (c) => (c.linux.resources = { pids: { limit: '10' } }), '/linux/resources/pids/limit: must be an integer'],
  ['swappiness above 100', (c) => (c.linux.resources = { memory: { swappiness: 101 } }), '/linux/resources/memory/swappiness: must be between 0 and 100'],
  ['blkio weight above uint16', (c) => (c.linux.resources = { blockIO: { weight: 70000 } }), '/linux/resources/blockIO/weight: must be a uint16 (0..65535)'],
  ['hugepage pageSize format', (c) => (c.linux.resources = { hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), '/linux/resources/hugepageLimits/0/pageSize: must match the pattern ^[1-9][0-9]*[KMG]B$'],
  ['seccomp without defaultAction', (c) => (c.linux.seccomp = {}), '/linux/seccomp/defaultAction: is required'],
  ['seccomp syscall names empty', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }), '/linux/seccomp/syscalls/0/names: must have at least 1 item'],
  ['personality domain', (c) => (c.linux.personality = { domain: 'BSD' }), '/linux/personality/domain: must be one of LINUX, LINUX32'],
  ['memoryPolicy without mode', (c) => (c.linux.memoryPolicy = { nodes: '0' }), '/linux/memoryPolicy/mode: is required'],
];

t.test('schema violations name the offending value', async (t) => {
  for (const [what, change, expected] of violations) {
    const cfg = minimal();
    change(cfg);
    const e = errorOf(() => validateSpec(cfg));
    t.type(e, SpecError, what);
    t.notOk(e instanceof UnsupportedError, `${what}: a schema error, not an unsupported one`);
    t.equal(e.message, expected, what);
    t.equal((e as SpecError).pointer, expected.slice(0, expected.indexOf(':')), `${what}: pointer`);
    t.equal((e as SpecError).code, 'invalid-config', `${what}: code`);
    t.notMatch(e.message, /\n/, `${what}: one line`);
  }
});

t.test('a document that is not an object', async (t) => {
  for (const doc of [[], 'x', null, 42]) {
    const e = errorOf(() => validateSpec(doc));
    t.type(e, SpecError);
    t.equal(e.message, 'config.json must be an object');
    t.equal((e as SpecError).pointer, '');
  }
});

t.test('describeSchemaError wording for keywords the schemas rarely hit', async (t) => {
  const base = { instancePath: '/x', schemaPath: '#/properties/x/minLength' };
  t.same(describeSchemaError({ ...base, keyword: 'minLength', params: { limit: 1 } }), ['/x', 'must not be empty']);
  t.same(describeSchemaError({ ...base, keyword: 'type', params: { type: ['string', 'null'] } }), ['/x', 'must be a string or a null']);
  t.same(describeSchemaError({ ...base, keyword: 'required', params: { missingProperty: 'a/b~c' } }), ['/x/a~1b~0c', 'is required']);
  t.same(describeSchemaError({ ...base, keyword: 'minItems', params: { limit: 2 } }), ['/x', 'must have at least 2 items']);
});
