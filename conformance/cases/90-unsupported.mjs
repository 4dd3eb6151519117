// Fields tsrun refuses for now (issue 2: "A field tsrun does not implement yet ... is refused with
// an error that names it"; config.md: "Runtimes MUST generate an error when ... unsupported values
// are encountered"). Each case sets one field and checks `create` names it and leaves nothing.
import { setNamespace } from '../lib/config.mjs';

export const section = 'Refused for now (unsupported fields)';

const RULE = 'config.md Configuration: "Runtimes MUST generate an error when invalid or unsupported values are encountered"; runtime.md create: error and no container';

/** One `*_fail` case: `edit` sets the field, `pointer` must appear in the error. */
function refused(name, pointer, edit, what = pointer) {
  return { name: `unsupported_${name}_fail`, rule: `${RULE} (${what})`, patch: edit, fail: pointer };
}

const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

export default [
  ...HOOKS.map((h) =>
    refused(`hooks_${h.toLowerCase()}`, `/hooks/${h}`, (c) => {
      c.hooks = { [h]: [{ path: '/bin/true', args: ['true'] }] };
    }),
  ),
  refused('terminal', '/process/terminal', (c) => {
    c.process.terminal = true;
  }, 'process.terminal true (pty and console socket)'),
  refused('seccomp', '/linux/seccomp', (c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] };
  }),
  refused('user_namespace', '/linux/namespaces/5/type', (c) => {
    setNamespace(c, 'user');
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  }, 'a user namespace with uid/gid mappings'),
  refused('uid_mappings', '/linux/uidMappings', (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  }, 'linux.uidMappings (user namespace mappings)'),
  refused('mount_idmap', '/mounts/7', (c) => {
    c.mounts.push({ destination: '/tmp', type: 'bind', source: '/tmp', options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
  }, 'an id-mapped mount'),
  refused('apparmor_profile', '/process/apparmorProfile', (c) => {
    c.process.apparmorProfile = 'conf-profile';
  }),
  refused('selinux_label', '/process/selinuxLabel', (c) => {
    c.process.selinuxLabel = 'system_u:system_r:container_t:s0';
  }),
  refused('mount_label', '/linux/mountLabel', (c) => {
    c.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
  }),
  refused('scheduler', '/process/scheduler', (c) => {
    c.process.scheduler = { policy: 'SCHED_BATCH', nice: 1 };
  }),
  refused('io_priority', '/process/ioPriority', (c) => {
    c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
  }),
  refused('exec_cpu_affinity', '/process/execCPUAffinity', (c) => {
    c.process.execCPUAffinity = { initial: '0', final: '0' };
  }),
  refused('personality', '/linux/personality', (c) => {
    c.linux.personality = { domain: 'LINUX32' };
  }),
  refused('memory_policy', '/linux/memoryPolicy', (c) => {
    c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0' };
  }),
  refused('intel_rdt', '/linux/intelRdt', (c) => {
    c.linux.intelRdt = { closID: 'conf', l3CacheSchema: 'L3:0=f' };
  }),
  refused('net_devices', '/linux/netDevices', (c) => {
    c.linux.netDevices = { confnope0: { name: 'eth1' } };
  }),
  refused('resources_memory', '/linux/resources/memory', (c) => {
    c.linux.resources.memory = { limit: 268435456 };
  }),
  refused('resources_cpu', '/linux/resources/cpu', (c) => {
    c.linux.resources.cpu = { shares: 512 };
  }),
  refused('resources_blockio', '/linux/resources/blockIO', (c) => {
    c.linux.resources.blockIO = { weight: 100 };
  }),
  refused('resources_hugepage_limits', '/linux/resources/hugepageLimits', (c) => {
    c.linux.resources.hugepageLimits = [{ pageSize: '2MB', limit: 2097152 }];
  }),
  refused('resources_network', '/linux/resources/network', (c) => {
    c.linux.resources.network = { classID: 1048577 };
  }),
  refused('resources_rdma', '/linux/resources/rdma', (c) => {
    c.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } };
  }),
  refused('resources_unified', '/linux/resources/unified', (c) => {
    c.linux.resources.unified = { 'memory.max': '268435456' };
  }),
];
