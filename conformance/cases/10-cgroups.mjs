// runtime-spec config-linux.md "Control groups": cgroupsPath and linux.resources. What this host
// can apply (devices, pids, memory, cpu, blockIO) is read back from the container's cgroup files
// on the host; what it cannot (a controller it does not mount as v1: hugetlb, net_cls, net_prio,
// rdma; `unified` on a v1/hybrid host) must make `create` fail naming the field and leave nothing
// (config.md: "Runtimes MUST generate an error when invalid or unsupported values are encountered").
// The value checks read cgroup v1 files; on a pure cgroup v2 host they are skipped (the v2 files
// are covered by test/unit/cgroups-v2-controllers.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, ok, succeeded } from '../lib/assert.mjs';
import { CGROUP_ROOT, cgroupDirs, cgroupHierarchies } from '../lib/host.mjs';

export const section = '10. cgroups (path, devices, resources)';

/** A pure cgroup v2 host (no v1 hierarchies at all). */
const pureV2 = () => fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));
/** Controller `ctrl` has a cgroup v1 hierarchy here (co-mounted ones are reachable through their symlink, e.g. cpu -> cpu,cpuacct). */
const hasV1 = (ctrl) => fs.existsSync(path.join(CGROUP_ROOT, ctrl, 'cgroup.procs'));
/** A file of the container's default cgroup (/tsrun/<id>) in the v1 hierarchy of `ctrl`. */
const readV1 = (ctrl, id, file) => fs.readFileSync(path.join(CGROUP_ROOT, ctrl, 'tsrun', id, file), 'utf8').trim();
const needV1 = (...ctrls) => () => {
  const missing = ctrls.filter((c) => !hasV1(c));
  return missing.length ? `no cgroup v1 ${missing.join(', ')} hierarchy on this host (these checks read v1 files)` : undefined;
};

/** The first whole block device of the host as "major:minor" (for blkio throttle rules), or undefined. */
function someBlockDevice() {
  for (const name of fs.existsSync('/sys/block') ? fs.readdirSync('/sys/block').sort() : []) {
    try {
      const dev = fs.readFileSync(path.join('/sys/block', name, 'dev'), 'utf8').trim();
      if (/^\d+:\d+$/.test(dev)) return dev;
    } catch {
      // not a device directory
    }
  }
  return undefined;
}

/**
 * The blkio weight file this kernel offers in the blkio hierarchy: CFQ's blkio.weight (before
 * Linux 5.0), BFQ's blkio.bfq.weight (BFQ built in or loaded), or undefined (only schedulers without
 * cgroup weights: blkio then throttles only). The hierarchy's root has them when its cgroups do.
 */
function weightFile() {
  for (const f of ['blkio.weight', 'blkio.bfq.weight']) if (fs.existsSync(path.join(CGROUP_ROOT, 'blkio', f))) return f;
  return undefined;
}

/**
 * A `*_fail` case for a field this host cannot apply because `ctrl` has no v1 hierarchy here:
 * the error must name the field (`pointer`) and the missing controller, and nothing is left.
 * Skipped where the host does have the controller (the value would then be applied).
 */
function noController(name, pointer, ctrl, edit) {
  return {
    name: `resources_${name}_fail`,
    rule: `config.md Configuration: "Runtimes MUST generate an error when invalid or unsupported values are encountered"; runtime.md create: error and no container (${pointer} needs the ${ctrl} controller, not mounted on this host)`,
    skip: () => (pureV2() ? 'pure cgroup v2 host: the v2 manager decides (test/unit/cgroups-v2-controllers.test.ts)' : hasV1(ctrl) ? `this host mounts ${ctrl} as cgroup v1, so ${pointer} is applied` : undefined),
    patch: edit,
    fail: [pointer, `the ${ctrl} cgroup controller is not mounted on this host`],
  };
}

function sleeper(ctx) {
  ctx.config.process.args = ['sleep', '60'];
  succeeded(ctx.create(), 'tsrun create');
  return ctx.state().pid;
}

/** Every hierarchy's cgroup.procs under `inner` holds `pid`. */
function checkPlaced(inner, pid) {
  const dirs = cgroupDirs(inner);
  eq(dirs.length, cgroupHierarchies().length, `hierarchies with ${inner}`);
  for (const d of dirs) {
    const procs = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n');
    ok(procs.includes(String(pid)), `${d}/cgroup.procs lacks the container pid ${pid}`);
  }
}

/** Opens /dev/conf-dev for reading; prints the shell's error and "open=<status>", then exits 0. */
const DEVICE_PROBE = '( : < /dev/conf-dev ) 2>&1; echo open=$?';

function device(c, d) {
  c.linux.devices = c.linux.devices ?? [];
  c.linux.devices.push(d);
}

export default [
  {
    name: 'cgroups_path_default',
    rule: 'config-linux.md Cgroups path: without cgroupsPath the runtime picks one (tsrun: /tsrun/<id> in every hierarchy) and puts the container process in it',
    run: (ctx) => checkPlaced(`/tsrun/${ctx.id}`, sleeper(ctx)),
  },
  {
    name: 'cgroups_path_absolute',
    rule: 'config-linux.md Cgroups path: "If the value of cgroupsPath is an absolute path, the runtime MUST take the path to be relative to the cgroups mount point"',
    run: (ctx) => {
      ctx.config.linux.cgroupsPath = `/${ctx.id}-abs/inner`;
      checkPlaced(`/${ctx.id}-abs/inner`, sleeper(ctx));
      succeeded(ctx.delete(ctx.id, true), 'tsrun delete --force');
      eq(cgroupDirs(`/${ctx.id}-abs`), [], 'cgroup dirs created for the absolute path, after delete');
    },
  },
  {
    name: 'cgroups_path_relative',
    rule: 'config-linux.md Cgroups path: "If the value of cgroupsPath is a relative path, the runtime MAY interpret the path relative to a runtime-determined location" (tsrun: /tsrun/<path>)',
    run: (ctx) => {
      ctx.config.linux.cgroupsPath = `${ctx.id}-rel/inner`;
      checkPlaced(`/tsrun/${ctx.id}-rel/inner`, sleeper(ctx));
    },
  },
  {
    name: 'cgroups_path_dotdot_fail',
    rule: 'config-linux.md Cgroups path: the runtime may reject values; ".." escaping the hierarchy is refused (error, no container)',
    patch: (c) => {
      c.linux.cgroupsPath = '/../../escape';
    },
    fail: '/linux/cgroupsPath',
  },
  {
    name: 'resources_pids_limit',
    rule: 'config-linux.md pids: "limit (int64, REQUIRED) - specifies the maximum number of tasks in the cgroup" (pids.max)',
    run: (ctx) => {
      ctx.config.linux.resources.pids = { limit: 7 };
      sleeper(ctx);
      const pids = cgroupDirs(`/tsrun/${ctx.id}`).find((d) => fs.existsSync(path.join(d, 'pids.max')));
      ok(pids, 'no pids cgroup with pids.max');
      eq(fs.readFileSync(path.join(pids, 'pids.max'), 'utf8').trim(), '7', 'pids.max');
    },
  },
  {
    name: 'resources_pids_limit_enforced',
    rule: 'config-linux.md pids limit: a fork beyond the limit fails inside the container',
    run: (ctx) => {
      ctx.config.linux.resources.pids = { limit: 3 };
      ctx.config.process.args = ['sh', '-c', 'for i in 1 2 3 4 5 6; do sleep 5 & done; wait'];
      const r = ctx.run();
      match(r.stdout + r.stderr, /can't fork|Resource temporarily unavailable/i, 'output of forks beyond pids.max');
    },
  },
  // Minor 6 of the mem driver (major 1) does not exist: opening it gives ENXIO when the device
  // cgroup lets it through and EPERM when it does not, with no side effect either way. It is not in
  // the default allow-list (runc's: null, zero, full, random, urandom, tty, console, ptmx, pts, tun).
  // The probe prints the open's exit status and the container exits 0: an expected exit status of
  // 1 could not be told from tsrun's own error exit (1), so a `tsrun run` that itself failed after
  // the program ran (the start race fixed in src/container/start.ts) used to pass these cases.
  {
    name: 'resources_devices_denied',
    rule: 'config-linux.md Device allowlist: "devices (array of objects, OPTIONAL) configures the device allowlist"; the default deny-all blocks a device node that no rule allows',
    script: DEVICE_PROBE,
    patch: (c) => device(c, { type: 'c', path: '/dev/conf-dev', major: 1, minor: 6, fileMode: 0o666 }),
    expect: (r) => match(r.stdout, /conf-dev: Operation not permitted\nopen=1\n/, 'opening the denied device (EPERM from the device cgroup)'),
  },
  {
    name: 'resources_devices_allowed',
    rule: 'config-linux.md Device allowlist: an entry {allow: true, type: c, major: 1, minor: 6, access: rw} lets the container open that device (the driver then says ENXIO)',
    script: DEVICE_PROBE,
    patch: (c) => {
      device(c, { type: 'c', path: '/dev/conf-dev', major: 1, minor: 6, fileMode: 0o666 });
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 6, access: 'rw' });
    },
    expect: (r) => match(r.stdout, /conf-dev: No such device or address\nopen=1\n/, 'opening the allowed device (ENXIO from the driver)'),
  },
  {
    name: 'resources_devices_absent_denied',
    rule: 'config-linux.md Device allowlist: devices is OPTIONAL; without it tsrun still starts from deny-all plus the default devices (as runc), so an unlisted device node stays blocked',
    script: `${DEVICE_PROBE}; echo null=$(head -c 3 /dev/zero | wc -c)`,
    patch: (c) => {
      device(c, { type: 'c', path: '/dev/conf-dev', major: 1, minor: 6, fileMode: 0o666 });
      delete c.linux.resources.devices;
    },
    expect: (r) => {
      match(r.stdout, /conf-dev: Operation not permitted\nopen=1\n/, 'opening the unlisted device');
      match(r.stdout, /null=3/, 'a default device (/dev/zero) still works');
    },
  },
  {
    name: 'resources_memory_limit',
    rule: 'config-linux.md Memory: "limit (int64, OPTIONAL) - sets limit of memory usage in bytes", "reservation (int64, OPTIONAL) - sets soft limit of memory usage in bytes" (v1 memory.limit_in_bytes, memory.soft_limit_in_bytes)',
    skip: needV1('memory'),
    run: (ctx) => {
      ctx.config.linux.resources.memory = { limit: 268435456, reservation: 134217728 };
      sleeper(ctx);
      eq(readV1('memory', ctx.id, 'memory.limit_in_bytes'), '268435456', 'memory.limit_in_bytes');
      eq(readV1('memory', ctx.id, 'memory.soft_limit_in_bytes'), '134217728', 'memory.soft_limit_in_bytes');
    },
  },
  {
    name: 'resources_cpu_shares_quota',
    rule: 'config-linux.md CPU: "shares (uint64, OPTIONAL) - specifies a relative share of CPU time", "quota (int64, OPTIONAL) - ... total amount of time in microseconds ... during one period", "period (uint64, OPTIONAL)" (v1 cpu.shares, cpu.cfs_quota_us, cpu.cfs_period_us)',
    skip: needV1('cpu'),
    run: (ctx) => {
      ctx.config.linux.resources.cpu = { shares: 512, quota: 50000, period: 200000 };
      sleeper(ctx);
      eq(readV1('cpu', ctx.id, 'cpu.shares'), '512', 'cpu.shares');
      eq(readV1('cpu', ctx.id, 'cpu.cfs_quota_us'), '50000', 'cpu.cfs_quota_us');
      eq(readV1('cpu', ctx.id, 'cpu.cfs_period_us'), '200000', 'cpu.cfs_period_us');
    },
  },
  {
    name: 'resources_blockio_weight',
    rule: 'config-linux.md Block IO: "weight (uint16, OPTIONAL) - specifies per-cgroup weight" (v1 blkio.weight; with CFQ gone, BFQ\'s blkio.bfq.weight)',
    skip: () => needV1('blkio')() ?? (weightFile() ? undefined : 'neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ) on this host: see resources_blockio_weight_unsupported_fail'),
    run: (ctx) => {
      ctx.config.linux.resources.blockIO = { weight: 300 };
      sleeper(ctx);
      const file = weightFile();
      // BFQ prints "default 300" (then any per-device lines), CFQ the number alone.
      match(readV1('blkio', ctx.id, file), /^(default )?300$/m, file);
    },
  },
  {
    name: 'resources_blockio_weight_unsupported_fail',
    rule: 'config.md Configuration: "Runtimes MUST generate an error when invalid or unsupported values are encountered" (blockIO.weight on a kernel with neither CFQ\'s blkio.weight nor BFQ\'s blkio.bfq.weight)',
    skip: () => needV1('blkio')() ?? (weightFile() ? `this host has ${weightFile()}, so the weight is applied (resources_blockio_weight)` : undefined),
    patch: (c) => {
      c.linux.resources.blockIO = { weight: 300 };
    },
    fail: ['/linux/resources/blockIO/weight', 'this kernel has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ)'],
  },
  {
    name: 'resources_blockio_throttle',
    rule: 'config-linux.md Block IO: "throttleReadBpsDevice, throttleWriteIOPSDevice ... (array of objects, OPTIONAL) - specify the list of devices which will be bandwidth rate limited" (v1 blkio.throttle.*_device)',
    skip: () => needV1('blkio')() ?? (someBlockDevice() ? undefined : 'no block device on this host'),
    run: (ctx) => {
      const dev = someBlockDevice();
      ok(dev, 'no block device on this host');
      const [major, minor] = dev.split(':').map(Number);
      ctx.config.linux.resources.blockIO = { throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 120 }] };
      sleeper(ctx);
      eq(readV1('blkio', ctx.id, 'blkio.throttle.read_bps_device'), `${major}:${minor} 1048576`, 'blkio.throttle.read_bps_device');
      eq(readV1('blkio', ctx.id, 'blkio.throttle.write_iops_device'), `${major}:${minor} 120`, 'blkio.throttle.write_iops_device');
    },
  },
  noController('hugepage_limits', '/linux/resources/hugepageLimits', 'hugetlb', (c) => {
    c.linux.resources.hugepageLimits = [{ pageSize: '2MB', limit: 2097152 }];
  }),
  noController('network_classid', '/linux/resources/network/classID', 'net_cls', (c) => {
    c.linux.resources.network = { classID: 1048577 };
  }),
  noController('network_priorities', '/linux/resources/network/priorities', 'net_prio', (c) => {
    c.linux.resources.network = { priorities: [{ name: 'lo', priority: 5 }] };
  }),
  noController('rdma', '/linux/resources/rdma', 'rdma', (c) => {
    c.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } };
  }),
  {
    name: 'resources_unified_on_v1_fail',
    rule: 'config-linux.md Unified: "The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present or that cannot be enabled" (a v1/hybrid host keeps its controllers in v1)',
    skip: () => (pureV2() ? 'pure cgroup v2 host: unified is applied there' : undefined),
    patch: (c) => {
      c.linux.resources.pids = { limit: 9 }; // applicable on its own: the refusal must undo it too
      c.linux.resources.unified = { 'memory.max': '268435456' };
    },
    fail: ['/linux/resources/unified', 'cannot be applied on a cgroup v1 host'],
  },
];
