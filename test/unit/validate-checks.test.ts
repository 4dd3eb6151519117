// The named semantic checks of src/spec/checks.ts: each one fires on the rule it owns (with the
// right pointer), and lets the valid variant through. Run through validateSpec so the order
// schema -> checks -> unsupported is what is tested.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SpecError, UnsupportedError } from '../../src/errors';
import { CHECKS, normalizeSysctlKey } from '../../src/spec/checks';
import type * as Validate from '../../src/spec/validate';
import { SPEC_VERSION } from '../../src/spec/version';

const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
const { validateSpec } = require('../../src/spec/validate') as typeof Validate;

type Json = any;
function base(): Json {
  return {
    ociVersion: SPEC_VERSION,
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
  };
}
const MAP0 = [{ containerID: 0, hostID: 100000, size: 65536 }];
function withNs(c: Json, ...types: string[]): Json {
  for (const type of types) c.linux.namespaces.push({ type });
  return c;
}
/** Leaves the mount namespace out of linux.namespaces (the container shares the runtime's). */
function noMountNs(c: Json): void {
  c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
}
const HOST_TABLE = "would change the host's own mount table (no mount namespace in linux.namespaces)";
function errorOf(fn: () => unknown): SpecError | undefined {
  try {
    fn();
  } catch (e) {
    return e as SpecError;
  }
  return undefined;
}

// [check name, what, change, expected message]
const failing: Array<[string, string, (c: Json) => void, string]> = [
  ['oci-version', 'not SemVer', (c) => (c.ociVersion = '1.0'), `/ociVersion: must be a SemVer version like "${SPEC_VERSION}", got "1.0"`],
  ['oci-version', 'leading zero', (c) => (c.ociVersion = '1.01.0'), `/ociVersion: must be a SemVer version like "${SPEC_VERSION}", got "1.01.0"`],
  ['oci-version', 'major 2', (c) => (c.ociVersion = '2.0.0'), '/ociVersion: tsrun supports runtime-spec 1.x, got "2.0.0"'],
  ['oci-version', 'major 0', (c) => (c.ociVersion = '0.5.0-dev'), '/ociVersion: tsrun supports runtime-spec 1.x, got "0.5.0-dev"'],
  ['annotation-keys', 'empty key', (c) => (c.annotations = { '': 'x' }), '/annotations: keys must not be empty'],
  ['process-cwd-absolute', 'relative cwd', (c) => (c.process.cwd = 'home'), '/process/cwd: must be an absolute path, got "home"'],
  ['process-user-ids', 'uid -1', (c) => (c.process.user.uid = 4294967295), '/process/user/uid: must be below 4294967295 ((uid_t)-1)'],
  ['process-user-ids', 'gid -1', (c) => (c.process.user.gid = 4294967295), '/process/user/gid: must be below 4294967295 ((gid_t)-1)'],
  ['process-user-ids', 'additional gid -1', (c) => (c.process.user.additionalGids = [5, 4294967295]), '/process/user/additionalGids/1: must be below 4294967295 ((gid_t)-1)'],
  ['process-rlimits', 'unknown type', (c) => (c.process.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]), '/process/rlimits/0/type: unknown rlimit "RLIMIT_FOO" (expected one of RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME)'],
  ['process-rlimits', 'duplicate', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 }]), '/process/rlimits/2/type: duplicate rlimit RLIMIT_NOFILE (also at /process/rlimits/0)'],
  ['process-rlimits', 'soft above hard', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }]), '/process/rlimits/0/soft: soft limit 2048 exceeds hard limit 1024'],
  ['mount-destination', 'empty', (c) => (c.mounts = [{ destination: '/proc', type: 'proc' }, { destination: '' }]), '/mounts/1/destination: must not be empty'],
  ['namespaces', 'duplicate type', (c) => c.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' }), '/linux/namespaces/2/type: duplicate namespace type "pid" (also at /linux/namespaces/0)'],
  ['namespaces', 'relative path', (c) => c.linux.namespaces.push({ type: 'network', path: 'proc/1/ns/net' }), '/linux/namespaces/2/path: must be an absolute path, got "proc/1/ns/net"'],
  ['no-mount-namespace', 'a mount', (c) => { noMountNs(c); c.mounts = [{ destination: '/proc', type: 'proc', source: 'proc' }]; }, `/mounts/0: mounting proc at /proc ${HOST_TABLE}`],
  ['no-mount-namespace', 'a bind mount', (c) => { noMountNs(c); c.mounts = [{ destination: '/data', source: '/srv', options: ['rbind'] }]; }, `/mounts/0: mounting /srv at /data ${HOST_TABLE}`],
  ['no-mount-namespace', 'a mount without source', (c) => { noMountNs(c); c.mounts = [{ destination: '/tmp', type: 'tmpfs' }]; }, `/mounts/0: mounting tmpfs at /tmp ${HOST_TABLE}`],
  ['no-mount-namespace', 'masked paths', (c) => { noMountNs(c); c.linux.maskedPaths = ['/proc/kcore']; }, `/linux/maskedPaths: mounting over these paths ${HOST_TABLE}`],
  ['no-mount-namespace', 'read-only paths', (c) => { noMountNs(c); c.linux.readonlyPaths = ['/proc/sys']; }, `/linux/readonlyPaths: mounting over these paths ${HOST_TABLE}`],
  ['no-mount-namespace', 'read-only root', (c) => { noMountNs(c); c.root.readonly = true; }, `/root/readonly: remounting the root read-only ${HOST_TABLE}`],
  ['no-mount-namespace', 'rootfsPropagation', (c) => { noMountNs(c); c.linux.rootfsPropagation = 'private'; }, `/linux/rootfsPropagation: changing the root's propagation ${HOST_TABLE}`],
  ['no-mount-namespace', 'a terminal', (c) => { noMountNs(c); c.process.terminal = true; }, `/process/terminal: binding the pty onto /dev/console (runtime-linux.md) ${HOST_TABLE}`],
  ['no-mount-namespace', 'an AppArmor profile', (c) => { noMountNs(c); c.process.apparmorProfile = 'docker-default'; }, '/process/apparmorProfile: cannot be applied without a mount namespace: tsrun writes it to /proc/thread-self after entering the root, which has no /proc here'],
  ['no-mount-namespace', 'an SELinux label', (c) => { noMountNs(c); c.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }, '/process/selinuxLabel: cannot be applied without a mount namespace: tsrun writes it to /proc/thread-self after entering the root, which has no /proc here'],
  ['uts-namespace', 'hostname without uts', (c) => (c.hostname = 'box'), '/hostname: cannot be set without a UTS namespace (add {"type": "uts"} to linux.namespaces)'],
  ['uts-namespace', 'domainname without uts', (c) => (c.domainname = 'example.org'), '/domainname: cannot be set without a UTS namespace (add {"type": "uts"} to linux.namespaces)'],
  ['id-mappings-need-user-namespace', 'uidMappings', (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), '/linux/uidMappings: needs a user namespace (linux.namespaces has no "user" entry)'],
  ['id-mappings-need-user-namespace', 'gidMappings', (c) => (c.linux.gidMappings = []), '/linux/gidMappings: needs a user namespace (linux.namespaces has no "user" entry)'],
  ['user-namespace-mappings', 'new user ns without uidMappings', (c) => { withNs(c, 'user'); c.linux.gidMappings = MAP0; }, '/linux/uidMappings: is required with a new user namespace (/linux/namespaces/2)'],
  ['user-namespace-mappings', 'new user ns without gidMappings', (c) => { withNs(c, 'user'); c.linux.uidMappings = MAP0; }, '/linux/gidMappings: is required with a new user namespace (/linux/namespaces/2)'],
  ['user-namespace-mappings', 'uid 0 not mapped', (c) => { withNs(c, 'user'); c.linux.uidMappings = [{ containerID: 1, hostID: 1000, size: 5 }]; c.linux.gidMappings = MAP0; }, '/linux/uidMappings: must map container uid 0 (tsrun\'s init stage runs as root in the user namespace)'],
  ['user-namespace-mappings', 'process gid not mapped', (c) => { withNs(c, 'user'); c.linux.uidMappings = MAP0; c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 1 }]; c.process.user.gid = 7; }, '/process/user/gid: gid 7 is not mapped by linux.gidMappings'],
  ['user-namespace-mappings', 'an additional gid not mapped', (c) => { withNs(c, 'user'); c.linux.uidMappings = MAP0; c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 10 }]; c.process.user.additionalGids = [3, 10]; }, '/process/user/additionalGids/1: gid 10 is not mapped by linux.gidMappings'],
  ['user-namespace-mappings', 'size 0', (c) => { withNs(c, 'user'); c.linux.uidMappings = [...MAP0, { containerID: 5, hostID: 5000, size: 0 }]; c.linux.gidMappings = MAP0; }, '/linux/uidMappings/1/size: must be at least 1'],
  ['user-namespace-mappings', 'maps with a joined user ns', (c) => { c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }); c.linux.uidMappings = MAP0; }, '/linux/uidMappings: cannot be applied to the joined user namespace /proc/1/ns/user (its maps are already written); leave it out'],
  ['user-namespace-mappings', 'no mount namespace', (c) => { noMountNs(c); withNs(c, 'user'); c.linux.uidMappings = MAP0; c.linux.gidMappings = MAP0; }, '/linux/namespaces/1: a user namespace needs a mount namespace in tsrun (add {"type": "mount"} to linux.namespaces)'],
  ['idmapped-mounts', 'idmap option, no mappings anywhere', (c) => (c.mounts = [{ destination: '/data', source: '/srv', options: ['rbind', 'idmap'] }]), '/mounts/0/options: "idmap" needs uidMappings/gidMappings on the mount or a user namespace in linux.namespaces'],
  ['idmapped-mounts', 'ridmap, empty mappings, no user ns', (c) => (c.mounts = [{ destination: '/data', source: '/srv', options: ['rbind', 'ridmap'], uidMappings: [], gidMappings: [] }]), '/mounts/0/options: "ridmap" needs uidMappings/gidMappings on the mount or a user namespace in linux.namespaces'],
  ['idmapped-mounts', 'uidMappings without gidMappings', (c) => { withNs(c, 'user'); c.linux.uidMappings = MAP0; c.linux.gidMappings = MAP0; c.mounts = [{ destination: '/data', source: '/srv', options: ['bind', 'idmap'], uidMappings: MAP0 }]; }, '/mounts/0/gidMappings: is required with uidMappings (config.md: both or neither)'],
  ['idmapped-mounts', 'gidMappings without uidMappings', (c) => { withNs(c, 'user'); c.linux.uidMappings = MAP0; c.linux.gidMappings = MAP0; c.mounts = [{ destination: '/data', source: '/srv', options: ['bind', 'idmap'], uidMappings: [], gidMappings: MAP0 }]; }, '/mounts/0/uidMappings: is required with gidMappings (config.md: both or neither)'],
  ['idmapped-mounts', 'a mount mapping of size 0', (c) => { withNs(c, 'user'); c.linux.uidMappings = MAP0; c.linux.gidMappings = MAP0; c.mounts = [{ destination: '/data', source: '/srv', options: ['bind', 'idmap'], uidMappings: MAP0, gidMappings: [{ containerID: 0, hostID: 1, size: 0 }] }]; }, '/mounts/0/gidMappings/0/size: must be at least 1'],
  ['idmapped-mounts', 'mount mappings without a user ns', (c) => (c.mounts = [{ destination: '/data', source: '/srv', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }]), '/mounts/0: id-mapped mounts (uidMappings/gidMappings) need a user namespace'],
  ['time-offsets', 'no time namespace', (c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } }), '/linux/timeOffsets: needs a time namespace (linux.namespaces has no "time" entry)'],
  ['time-offsets', 'joined time namespace', (c) => { c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' }); c.linux.timeOffsets = { boottime: { secs: 1 } }; }, '/linux/timeOffsets: cannot be set when joining an existing time namespace'],
  ['time-offsets', 'unknown clock', (c) => { withNs(c, 'time'); c.linux.timeOffsets = { realtime: { secs: 1 } }; }, '/linux/timeOffsets/realtime: unknown clock (expected monotonic or boottime)'],
  ['sysctl', 'net.* without netns', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }), '/linux/sysctl/net.ipv4.ip_forward: needs a network namespace (not allowed in the host network namespace)'],
  ['sysctl', 'net/ form without netns', (c) => (c.linux.sysctl = { 'net/ipv4/conf/eth0.100/rp_filter': '1' }), '/linux/sysctl/net~1ipv4~1conf~1eth0.100~1rp_filter: needs a network namespace (not allowed in the host network namespace)'],
  ['sysctl', 'ipc sysctl without ipc ns', (c) => (c.linux.sysctl = { 'kernel.shmmax': '1' }), '/linux/sysctl/kernel.shmmax: needs an ipc namespace (not allowed in the host ipc namespace)'],
  ['sysctl', 'mqueue without ipc ns', (c) => (c.linux.sysctl = { 'fs.mqueue.msg_max': '10' }), '/linux/sysctl/fs.mqueue.msg_max: needs an ipc namespace (not allowed in the host ipc namespace)'],
  ['sysctl', 'kernel.hostname conflicts', (c) => { withNs(c, 'uts'); c.linux.sysctl = { 'kernel.hostname': 'x' }; }, '/linux/sysctl/kernel.hostname: conflicts with the "hostname" field; set that instead'],
  ['sysctl', 'kernel.domainname without uts', (c) => (c.linux.sysctl = { 'kernel.domainname': 'x' }), '/linux/sysctl/kernel.domainname: is not in a separate kernel namespace (it would change the host)'],
  ['sysctl', 'host-wide sysctl', (c) => { withNs(c, 'uts', 'ipc', 'network'); c.linux.sysctl = { 'vm.swappiness': '10' }; }, '/linux/sysctl/vm.swappiness: is not in a separate kernel namespace (it would change the host)'],
  ['devices', 'relative path', (c) => (c.linux.devices = [{ type: 'c', path: 'dev/fuse', major: 10, minor: 229 }]), '/linux/devices/0/path: must be an absolute path, got "dev/fuse"'],
  ['devices', 'char device without major', (c) => (c.linux.devices = [{ type: 'c', path: '/dev/fuse', minor: 229 }]), '/linux/devices/0/major: is required for a device of type "c"'],
  ['devices', 'block device without minor', (c) => (c.linux.devices = [{ type: 'b', path: '/dev/sda', major: 8 }]), '/linux/devices/0/minor: is required for a device of type "b"'],
  ['devices', 'unbuffered device without numbers', (c) => (c.linux.devices = [{ type: 'u', path: '/dev/x' }]), '/linux/devices/0/major: is required for a device of type "u"'],
  ['masked-and-readonly-paths', 'relative masked path', (c) => (c.linux.maskedPaths = ['/proc/kcore', 'proc/keys']), '/linux/maskedPaths/1: must be an absolute path, got "proc/keys"'],
  ['masked-and-readonly-paths', 'relative readonly path', (c) => (c.linux.readonlyPaths = ['proc/sys']), '/linux/readonlyPaths/0: must be an absolute path, got "proc/sys"'],
  ['rootfs-propagation', 'unknown mode', (c) => (c.linux.rootfsPropagation = 'recursive'), '/linux/rootfsPropagation: must be one of shared, slave, private, unbindable, rshared, rslave, rprivate, runbindable, got "recursive"'],
  ['process-scheduler', 'nice out of range', (c) => (c.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 }), '/process/scheduler/nice: must be between -20 and 19, got 20'],
  ['process-scheduler', 'priority for SCHED_BATCH', (c) => (c.process.scheduler = { policy: 'SCHED_BATCH', priority: 1 }), '/process/scheduler/priority: can only be set for SCHED_FIFO or SCHED_RR, not SCHED_BATCH'],
  ['process-scheduler', 'deadline fields for SCHED_OTHER', (c) => (c.process.scheduler = { policy: 'SCHED_OTHER', deadline: 1 }), '/process/scheduler/deadline: can only be set for SCHED_DEADLINE, not SCHED_OTHER'],
  ['process-io-priority', 'priority 8', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), '/process/ioPriority/priority: must be between 0 and 7, got 8'],
  ['process-exec-cpu-affinity', 'reversed range', (c) => (c.process.execCPUAffinity = { final: '7-3' }), '/process/execCPUAffinity/final: range "7-3" ends before it starts'],
  ['linux-personality', 'a flag', (c) => (c.linux.personality = { domain: 'LINUX32', flags: ['READ_IMPLIES_EXEC'] }), '/linux/personality/flags: personality flags are not supported (got READ_IMPLIES_EXEC); runtime-spec defines none'],
  ['linux-memory-policy', 'nodes with MPOL_LOCAL', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' }), '/linux/memoryPolicy/nodes: must be empty with MPOL_LOCAL'],
];

t.test('each semantic check fires with its pointer', async (t) => {
  for (const [, what, change, expected] of failing) {
    const c = base();
    change(c);
    const e = errorOf(() => validateSpec(c));
    t.type(e, SpecError, what);
    t.notOk(e instanceof UnsupportedError, `${what}: a rule violation, not "unsupported"`);
    t.equal(e?.message, expected, what);
    t.equal(e?.pointer, expected.slice(0, expected.indexOf(': ')), `${what}: pointer`);
  }
});

t.test('every named check has a failing case above', async (t) => {
  const names = CHECKS.map((c) => c.name);
  t.equal(new Set(names).size, names.length, 'check names are unique');
  t.same([...new Set(failing.map(([n]) => n))].sort(), [...names].sort());
  // The failing case really comes from the check it is filed under.
  for (const [name, what, change] of failing) {
    const c = base();
    change(c);
    const check = CHECKS.find((x) => x.name === name)!;
    t.throws(() => check.check(c), SpecError, `${name}: ${what}`);
  }
});

const passing: Array<[string, (c: Json) => void]> = [
  ['a new user namespace with several ranges', (c) => { withNs(c, 'user'); c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }]; c.linux.gidMappings = MAP0; c.process.user = { uid: 1000, gid: 5, additionalGids: [6] }; }],
  ['a joined user namespace without maps', (c) => c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' })],
  ['SemVer with pre-release and build', (c) => (c.ociVersion = '1.0.2-dev+abc.1')],
  ['newer 1.x minor', (c) => (c.ociVersion = '1.9.0')],
  ['annotations with keys', (c) => (c.annotations = { 'org.example.key': 'v' })],
  ['hostname with a new uts namespace', (c) => { withNs(c, 'uts'); c.hostname = 'box'; c.domainname = 'example.org'; }],
  ['hostname with a joined uts namespace', (c) => { c.linux.namespaces.push({ type: 'uts', path: '/proc/1/ns/uts' }); c.hostname = 'box'; }],
  ['empty hostname without uts', (c) => (c.hostname = '')],
  ['distinct rlimits, soft == hard', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }, { type: 'RLIMIT_CORE', soft: 0, hard: 100 }])],
  ['relative mount destination (deprecated, allowed)', (c) => (c.mounts = [{ destination: 'data', source: '/srv', options: ['bind'] }])],
  ['namespaces with absolute paths', (c) => c.linux.namespaces.push({ type: 'network', path: '/var/run/netns/a' })],
  ['timeOffsets with a new time namespace', (c) => { withNs(c, 'time'); c.linux.timeOffsets = { monotonic: { secs: -10, nanosecs: 5 }, boottime: { secs: 3 } }; }],
  ['empty timeOffsets without a time namespace', (c) => (c.linux.timeOffsets = {})],
  ['sysctls in their namespaces', (c) => { withNs(c, 'network', 'ipc', 'uts'); c.linux.sysctl = { 'net.core.somaxconn': '256', 'net/ipv4/ip_forward': '1', 'kernel.shm_rmid_forced': '1', 'fs.mqueue.queues_max': '10', 'kernel.domainname': 'x' }; }],
  ['sysctl net.* in a joined netns', (c) => { c.linux.namespaces.push({ type: 'network', path: '/var/run/netns/a' }); c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; }],
  ['fifo device without numbers', (c) => (c.linux.devices = [{ type: 'p', path: '/dev/fifo' }])],
  ['device outside /dev', (c) => (c.linux.devices = [{ type: 'c', path: '/opt/null', major: 1, minor: 3 }])],
  ['masked and readonly paths with a mount ns', (c) => { c.linux.maskedPaths = ['/proc/kcore']; c.linux.readonlyPaths = ['/proc/sys']; }],
  ['empty masked paths without a mount ns', (c) => { c.linux.namespaces = [{ type: 'pid' }]; c.linux.maskedPaths = []; }],
  ['no mount ns and nothing that mounts (empty lists, false and empty values)', (c) => {
    noMountNs(c);
    withNs(c, 'uts', 'network');
    c.hostname = 'box';
    c.mounts = [];
    c.linux.maskedPaths = [];
    c.linux.readonlyPaths = [];
    c.linux.rootfsPropagation = '';
    c.root.readonly = false;
    c.process.terminal = false;
    c.process.apparmorProfile = '';
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.linux.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229 }];
  }],
  ...['shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable', ''].map(
    (p): [string, (c: Json) => void] => [`rootfsPropagation "${p}"`, (c) => (c.linux.rootfsPropagation = p)],
  ),
];

t.test('valid variants pass every check', async (t) => {
  for (const [what, change] of passing) {
    const c = base();
    change(c);
    t.doesNotThrow(() => validateSpec(c), what);
  }
});

t.test('normalizeSysctlKey swaps separators only for slash-first keys (sysctl.d(5))', async (t) => {
  t.equal(normalizeSysctlKey('net.ipv4.ip_forward'), 'net.ipv4.ip_forward');
  t.equal(normalizeSysctlKey('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
  t.equal(normalizeSysctlKey('kernel'), 'kernel');
});
