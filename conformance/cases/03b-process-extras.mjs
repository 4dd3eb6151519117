// runtime-spec config.md "Scheduler", "I/O Priority", "execCPUAffinity", AppArmor/SELinux process
// labels; config-linux.md "Personality", "Memory policy", "Mount Label", and runc's sysctl safety
// rules: each applied where the host can, refused by name where it cannot.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { eq, match, ok, succeeded } from '../lib/assert.mjs';
import { setNamespace } from '../lib/config.mjs';

export const section = '3b. process extras (scheduler, ioPriority, personality, memoryPolicy, LSM labels, sysctl safety)';

/** proc(5) /proc/<pid>/stat field n (1-based; the comm field may hold spaces). */
function statField(text, n) {
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ')[n - 3];
}
const noNuma = () => (fs.existsSync('/sys/devices/system/node/node0') ? undefined : 'no NUMA node 0 in sysfs');
const apparmorOn = fs.existsSync('/sys/kernel/security/apparmor');
const selinuxOn = fs.existsSync('/sys/fs/selinux/enforce');

export default [
  {
    name: 'personality_linux32',
    rule: 'config-linux.md Personality: domain LINUX32 sets the execution domain of the container process (uname reports a 32-bit machine)',
    skip: () => (process.arch === 'x64' ? undefined : 'x86_64 only (expects i686)'),
    script: 'uname -m',
    patch: (c) => {
      c.linux.personality = { domain: 'LINUX32' };
    },
    expect: (r) => eq(r.stdout, 'i686\n', 'uname -m'),
  },
  {
    name: 'personality_flags_fail',
    rule: 'config-linux.md Personality flags: "Currently no flag values are supported" — a flag cannot be applied, so create errors',
    patch: (c) => {
      c.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] };
    },
    fail: '/linux/personality/flags',
  },
  {
    name: 'scheduler_batch_nice',
    rule: 'config.md Scheduler: policy and nice are applied to the process with sched_setattr(2) (SCHED_BATCH = 3 in /proc/self/stat field 41, nice in field 19)',
    script: 'cat /proc/self/stat',
    patch: (c) => {
      c.process.scheduler = { policy: 'SCHED_BATCH', nice: 6 };
    },
    expect: (r) => {
      eq(statField(r.stdout, 41), '3', 'policy');
      eq(statField(r.stdout, 19), '6', 'nice');
    },
  },
  {
    name: 'scheduler_idle',
    rule: 'config.md Scheduler: policy SCHED_IDLE (5)',
    script: 'cat /proc/self/stat',
    patch: (c) => {
      c.process.scheduler = { policy: 'SCHED_IDLE' };
    },
    expect: (r) => eq(statField(r.stdout, 41), '5', 'policy'),
  },
  {
    name: 'scheduler_iso_fail',
    rule: 'config.md Scheduler: SCHED_ISO is listed, but mainline kernels refuse it (EINVAL): a property that cannot be applied is an error at create',
    patch: (c) => {
      c.process.scheduler = { policy: 'SCHED_ISO' };
    },
    fail: ['sched_setattr', 'SCHED_ISO', 'EINVAL'],
  },
  {
    name: 'scheduler_nice_range_fail',
    rule: 'config.md Scheduler nice: a nice value outside -20..19 cannot be applied (runc validator): error',
    patch: (c) => {
      c.process.scheduler = { policy: 'SCHED_OTHER', nice: 25 };
    },
    fail: '/process/scheduler/nice',
  },
  {
    name: 'io_priority_from_host',
    rule: 'config.md I/O Priority: class and priority are applied with ioprio_set(2); ioprio_get (ionice -p) on the container process reads them back',
    skip: () => (spawnSync('ionice', ['-p', String(process.pid)]).status === 0 ? undefined : 'no ionice(1) on the host'),
    run: (ctx) => {
      ctx.config.process.args = ['true'];
      ctx.config.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 5 };
      succeeded(ctx.create(), 'tsrun create');
      const { pid } = ctx.state();
      const r = spawnSync('ionice', ['-p', String(pid)], { encoding: 'utf8' });
      eq(r.stdout.trim(), 'best-effort: prio 5', 'ionice -p <container pid>');
      succeeded(ctx.delete(ctx.id, true), 'tsrun delete --force');
    },
  },
  {
    name: 'io_priority_idle_inside',
    rule: 'config.md I/O Priority: IOPRIO_CLASS_IDLE, seen from inside the container',
    script: 'ionice -p $$',
    patch: (c) => {
      c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    },
    expect: (r) => eq(r.stdout.trim(), 'idle', 'ionice'),
  },
  {
    name: 'io_priority_range_fail',
    rule: 'config.md I/O Priority priority: 0 (highest) to 7 (lowest); 8 cannot be applied: error',
    patch: (c) => {
      c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 };
    },
    fail: '/process/ioPriority/priority',
  },
  {
    name: 'memory_policy_bind',
    rule: 'config-linux.md Memory policy: mode MPOL_BIND with nodes "0" is set with set_mempolicy(2) (numa_maps shows bind:0)',
    skip: noNuma,
    script: 'cat /proc/self/numa_maps',
    patch: (c) => {
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    },
    expect: (r) => match(r.stdout, /^[0-9a-f]+ bind:0 /m, 'numa_maps'),
  },
  {
    name: 'memory_policy_local',
    rule: 'config-linux.md Memory policy: MPOL_LOCAL with empty nodes',
    skip: noNuma,
    script: 'cat /proc/self/numa_maps',
    patch: (c) => {
      c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '' };
    },
    expect: (r) => match(r.stdout, /^[0-9a-f]+ local /m, 'numa_maps'),
  },
  {
    name: 'memory_policy_offline_node_fail',
    rule: 'config-linux.md Memory policy: a node the host does not have cannot be applied (set_mempolicy EINVAL): error at create',
    skip: () => (fs.existsSync('/sys/devices/system/node/node63') ? 'the host has a node 63' : undefined),
    patch: (c) => {
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '63' };
    },
    fail: ['set_mempolicy', 'EINVAL'],
  },
  {
    name: 'memory_policy_bind_without_nodes_fail',
    rule: 'config-linux.md Memory policy: MPOL_BIND needs nodes; an empty set is refused (set_mempolicy(2) EINVAL)',
    patch: (c) => {
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '' };
    },
    fail: '/linux/memoryPolicy/nodes',
  },
  {
    name: 'exec_cpu_affinity_not_for_init',
    rule: 'config.md execCPUAffinity: "the CPU affinity of the runtime\'s exec\'d process" — the container\'s own process keeps the affinity it would have without the field',
    script: 'grep Cpus_allowed_list /proc/self/status',
    patch: (c) => {
      c.process.execCPUAffinity = { initial: '0', final: '0' };
    },
    expect: (r) => {
      const line = fs.readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:.*$/m);
      ok(line, 'no Cpus_allowed_list in /proc/self/status');
      const host = line[0];
      eq(r.stdout.trim(), host, 'Cpus_allowed_list (same as the runtime\'s)');
    },
  },
  {
    name: 'exec_cpu_affinity_syntax_fail',
    rule: 'config.md execCPUAffinity: CPU lists like "0-3,7"; a range that ends before it starts is invalid',
    patch: (c) => {
      c.process.execCPUAffinity = { initial: '3-1' };
    },
    fail: '/process/execCPUAffinity/initial',
  },
  {
    name: 'apparmor_profile_without_apparmor_fail',
    rule: 'config.md apparmorProfile: cannot be applied on a host without AppArmor: error naming the field, no container',
    skip: () => (apparmorOn ? 'AppArmor is enabled here' : undefined),
    patch: (c) => {
      c.process.apparmorProfile = 'conf-profile';
    },
    fail: ['/process/apparmorProfile', 'AppArmor is not enabled'],
  },
  {
    name: 'selinux_label_without_selinux_fail',
    rule: 'config.md selinuxLabel: cannot be applied on a host without SELinux: error naming the field, no container',
    skip: () => (selinuxOn ? 'SELinux is enabled here' : undefined),
    patch: (c) => {
      c.process.selinuxLabel = 'system_u:system_r:container_t:s0';
    },
    fail: ['/process/selinuxLabel', 'SELinux is not enabled'],
  },
  {
    name: 'mount_label_without_selinux_fail',
    rule: 'config-linux.md mountLabel: an SELinux mount label cannot be applied on a host without SELinux: error',
    skip: () => (selinuxOn ? 'SELinux is enabled here' : undefined),
    patch: (c) => {
      c.linux.mountLabel = 'system_u:object_r:container_file_t:s0';
    },
    fail: ['/linux/mountLabel', 'SELinux is not enabled'],
  },
  {
    name: 'sysctl_vm_swappiness_fail',
    rule: 'config-linux.md Sysctl (runc rules): vm.* is in no container namespace, so it would change the host: refused by name',
    patch: (c) => {
      c.linux.sysctl = { 'vm.swappiness': '10' };
    },
    fail: '/linux/sysctl/vm.swappiness',
  },
  {
    name: 'sysctl_joined_host_netns_fail',
    rule: 'config-linux.md Sysctl (runc rules): net.* in a joined network namespace that is the runtime\'s own would change the host: refused',
    patch: (c) => {
      setNamespace(c, 'network', `/proc/${process.pid}/ns/net`);
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    },
    fail: ['/linux/sysctl/net.ipv4.ip_forward', 'host network namespace'],
  },
  {
    name: 'features_lsm_and_memory_policy',
    rule: 'features-linux.md: apparmor/selinux "enabled" say whether the runtime applies those labels here; memoryPolicy lists the modes and flags it knows',
    run: (ctx) => {
      const r = ctx.tsrun(['features']);
      succeeded(r, 'tsrun features');
      const f = JSON.parse(r.stdout).linux;
      eq(f.apparmor.enabled, apparmorOn && fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y'), 'apparmor.enabled');
      eq(f.selinux.enabled, selinuxOn, 'selinux.enabled');
      ok(f.memoryPolicy.modes.includes('MPOL_BIND') && f.memoryPolicy.modes.length === 7, 'memoryPolicy.modes');
      eq([...f.memoryPolicy.flags].sort(), ['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'], 'memoryPolicy.flags');
    },
  },
];
