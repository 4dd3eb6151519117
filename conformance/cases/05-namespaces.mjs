// runtime-spec config-linux.md "Namespaces" (user namespaces are refused for now, see
// 90-unsupported.mjs): new namespaces, joining by path, inheriting unlisted types, errors.
import fs from 'node:fs';
import path from 'node:path';
import { eq, ne, match, ok, succeeded } from '../lib/assert.mjs';
import { removeNamespace, setNamespace, unset } from '../lib/config.mjs';
import { ROOTFS } from '../lib/context.mjs';
import { hostNs, noTimeNamespaces } from '../lib/host.mjs';

export const section = '5. namespaces';

/** /proc/<pid>/ns file name of each config type. */
const PROC_NAME = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', time: 'time' };

function newNamespaceCase(type) {
  const name = PROC_NAME[type];
  return {
    name: `namespace_${type}_new`,
    rule: `config-linux.md Namespaces: "If a namespace type is ... not specified with a path, the runtime MUST create a new ${type} namespace" and place the container process in it`,
    ...(type === 'time' ? { skip: noTimeNamespaces } : {}),
    script: `readlink /proc/self/ns/${name}`,
    patch: (c) => setNamespace(c, type),
    expect: (r) => {
      match(r.stdout, new RegExp(`^${name}:\\[\\d+\\]\\n$`), `/proc/self/ns/${name} inside`);
      ne(r.stdout.trim(), hostNs(name), `${type} namespace (host has ${hostNs(name)})`);
    },
  };
}

function inheritedCase(type, extra) {
  const name = PROC_NAME[type];
  return {
    name: `namespace_${type}_inherited`,
    rule: `config-linux.md Namespaces: "If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type." (${type})`,
    script: `readlink /proc/self/ns/${name}`,
    patch: (c) => {
      removeNamespace(c, type);
      extra?.(c);
    },
    expect: (r) => eq(r.stdout.trim(), hostNs(name), `${type} namespace inside`),
  };
}

/** Creates and starts a container running "sleep 60" (new namespaces); returns its host pid. */
function makeTarget(ctx) {
  const id = ctx.newId('a');
  const cfg = structuredClone(ctx.config);
  cfg.process.args = ['sleep', '60'];
  const bundle = ctx.makeBundle('bundle-a', cfg);
  succeeded(ctx.create(id, { bundle, write: false }), 'tsrun create (target)');
  succeeded(ctx.start(id), 'tsrun start (target)');
  return ctx.state(id).pid;
}

export default [
  ...['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'time'].map(newNamespaceCase),
  {
    name: 'namespace_pid_init_is_pid1',
    rule: 'config-linux.md Namespaces pid: "processes inside the container will only be able to see other processes inside the same container"; the container process is PID 1 of the new namespace',
    script: 'echo $$; ls /proc | grep -cE "^[0-9]+$"',
    expect: (r) => {
      const [pid, count] = r.stdout.trim().split('\n');
      eq(pid, '1', 'pid inside');
      ok(Number(count) <= 3, `${count} processes visible in /proc`);
    },
  },
  {
    name: 'namespace_cgroup_root',
    rule: 'config-linux.md Namespaces cgroup: "the container will have an independent view of the cgroup hierarchy": its own cgroup is "/" inside',
    script: 'cat /proc/self/cgroup',
    patch: (c) => setNamespace(c, 'cgroup'),
    expect: (r) => {
      for (const line of r.stdout.trim().split('\n')) match(line, /^\d+:[^:]*:\/$/, '/proc/self/cgroup line');
    },
  },
  inheritedCase('network'),
  inheritedCase('ipc'),
  inheritedCase('uts', (c) => unset(c, 'hostname')),
  inheritedCase('pid'),
  {
    name: 'namespace_path_join',
    rule: 'config-linux.md Namespaces path: "the runtime MUST place the container process in the namespace specified by path" (network, ipc, uts of another container)',
    run: (ctx) => {
      const pid = makeTarget(ctx);
      const want = ['net', 'ipc', 'uts'].map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`));
      for (const [type, n] of [['network', 'net'], ['ipc', 'ipc'], ['uts', 'uts']]) setNamespace(ctx.config, type, `/proc/${pid}/ns/${n}`);
      delete ctx.config.hostname;
      ctx.config.process.args = ['sh', '-c', 'for n in net ipc uts; do readlink /proc/self/ns/$n; done'];
      const r = ctx.run();
      succeeded(r, 'tsrun run (joining)');
      eq(r.stdout.trim().split('\n'), want, 'namespaces of the joining container');
    },
  },
  {
    name: 'namespace_path_join_pid',
    rule: 'config-linux.md Namespaces path: joining another container\'s pid namespace shows its processes (its PID 1 runs "sleep 60")',
    run: (ctx) => {
      const pid = makeTarget(ctx);
      setNamespace(ctx.config, 'pid', `/proc/${pid}/ns/pid`);
      ctx.config.process.args = ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo $$'];
      const r = ctx.run();
      succeeded(r, 'tsrun run (joining)');
      const [cmd, self] = r.stdout.split('\n');
      eq(cmd.trim(), 'sleep 60', 'cmdline of PID 1 seen from the joining container');
      ne(self, '1', 'pid of the joining process');
    },
  },
  {
    name: 'namespace_path_wrong_type_fail',
    rule: 'config-linux.md Namespaces path: "If a path is specified but does not refer to a namespace of the type specified, the runtime MUST generate an error." (an ipc namespace file given as network)',
    patch: (c) => setNamespace(c, 'network', '/proc/self/ns/ipc'),
    fail: /network|\/proc\/self\/ns\/ipc/,
  },
  {
    name: 'namespace_path_not_namespace_fail',
    rule: 'config-linux.md Namespaces path: a path that is not a namespace file at all MUST be an error',
    patch: (c) => setNamespace(c, 'uts', path.join(ROOTFS, 'etc', 'passwd')),
    fail: /etc\/passwd|uts/,
  },
  {
    name: 'namespace_path_missing_fail',
    rule: 'config-linux.md Namespaces path: a namespace path that does not exist MUST be an error',
    patch: (c) => setNamespace(c, 'ipc', '/proc/2147483646/ns/ipc'),
    fail: '/proc/2147483646/ns/ipc',
  },
  {
    name: 'namespace_path_relative_fail',
    rule: 'config-linux.md Namespaces path: "(string, OPTIONAL) namespace file. This value MUST be an absolute path in the runtime mount namespace."',
    patch: (c) => setNamespace(c, 'network', 'proc/1/ns/net'),
    fail: '/linux/namespaces/',
  },
  {
    name: 'namespace_duplicate_fail',
    rule: 'config-linux.md Namespaces: "If a namespace type is specified more than once ... the runtime MUST generate an error"',
    patch: (c) => {
      c.linux.namespaces.push({ type: 'ipc' });
    },
    fail: /duplicate|\/linux\/namespaces\/5/,
  },
  {
    name: 'namespace_unknown_type_fail',
    rule: 'config-linux.md Namespaces type: "The following namespace types SHOULD be supported" and an invalid value MUST be an error (config.md)',
    patch: (c) => {
      c.linux.namespaces.push({ type: 'confnope' });
    },
    fail: '/linux/namespaces/5/type',
  },
];
