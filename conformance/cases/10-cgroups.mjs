// runtime-spec config-linux.md "Control groups": cgroupsPath and the two resources tsrun
// implements so far (devices, pids). The other resources are refused (90-unsupported.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, ok, succeeded } from '../lib/assert.mjs';
import { cgroupDirs, cgroupHierarchies } from '../lib/host.mjs';

export const section = '10. cgroups (path, devices, pids)';

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
  {
    name: 'resources_devices_denied',
    rule: 'config-linux.md Device allowlist: "devices (array of objects, OPTIONAL) configures the device allowlist"; the default deny-all blocks a device node that no rule allows',
    script: '( : < /dev/conf-dev ) 2>&1',
    status: 1,
    patch: (c) => device(c, { type: 'c', path: '/dev/conf-dev', major: 1, minor: 6, fileMode: 0o666 }),
    expect: (r) => match(r.stdout, /Operation not permitted/, 'opening the denied device'),
  },
  {
    name: 'resources_devices_allowed',
    rule: 'config-linux.md Device allowlist: an entry {allow: true, type: c, major: 1, minor: 6, access: rw} lets the container open that device (the driver then says ENXIO)',
    script: '( : < /dev/conf-dev ) 2>&1',
    status: 1,
    patch: (c) => {
      device(c, { type: 'c', path: '/dev/conf-dev', major: 1, minor: 6, fileMode: 0o666 });
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 6, access: 'rw' });
    },
    expect: (r) => match(r.stdout, /No such device or address/, 'opening the allowed device'),
  },
];
