// runtime-spec config-linux.md "Namespaces" (user namespaces: 09-user-namespaces.mjs): new namespaces, joining by path, inheriting unlisted types, errors.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { eq, ne, match, ok, succeeded } from '../lib/assert.mjs';
import { removeNamespace, setNamespace, unset } from '../lib/config.mjs';
import { ROOTFS } from '../lib/context.mjs';
import { hostMounts, hostNs, noTimeNamespaces } from '../lib/host.mjs';

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

/**
 * The runtime's mount table as a multiset of "mount point, root, type, source, propagation",
 * narrowed to what a container of `dirs` could change: "/" and anything under those directories
 * (others may mount elsewhere on this machine meanwhile).
 */
function mountTableOf(dirs) {
  return hostMounts()
    .filter((m) => m.mountPoint === '/' || dirs.some((d) => m.mountPoint === d || m.mountPoint.startsWith(`${d}/`)))
    .map((m) => `${m.mountPoint} ${m.root} ${m.fstype} ${m.source} ${m.optional.join(',')}`)
    .sort();
}

/** No mount namespace and nothing that mounts (checks.ts would refuse it). */
function withoutMountNamespace(c) {
  removeNamespace(c, 'mount');
  c.mounts = [];
  unset(c, 'linux.maskedPaths');
  unset(c, 'linux.readonlyPaths');
  c.root.readonly = false;
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
    name: 'namespace_mount_inherited',
    rule: 'config-linux.md Namespaces: "If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type." (mount: the process is in the runtime\'s mount namespace with root.path as its root, and the runtime\'s mount table is unchanged)',
    run: (ctx) => {
      // A private rootfs: without a /dev mount the device nodes are made in root.path/dev itself.
      const rootfs = path.join(ctx.work, 'rootfs');
      execFileSync('cp', ['-a', `${ROOTFS}/.`, rootfs]);
      fs.rmSync(path.join(rootfs, 'dev'), { recursive: true, force: true });
      fs.mkdirSync(path.join(rootfs, 'dev'));
      fs.writeFileSync(path.join(rootfs, 'marker'), `${ctx.id}\n`);
      withoutMountNamespace(ctx.config);
      ctx.config.root.path = rootfs;
      ctx.config.process.args = ['sh', '-c', 'cat /marker; head -n 1 /etc/passwd; exec sleep 60'];
      const before = mountTableOf([ctx.work]);
      succeeded(ctx.create(), 'tsrun create');
      succeeded(ctx.start(), 'tsrun start');
      const pid = ctx.state().pid;
      eq(fs.readlinkSync(`/proc/${pid}/ns/mnt`), hostNs('mnt'), 'mount namespace of the container process');
      eq(fs.readlinkSync(`/proc/${pid}/root`), rootfs, 'root of the container process');
      ctx.waitFor(() => ctx.output().split('\n').length > 2, 'the process\'s output');
      eq(ctx.output(), `${ctx.id}\nroot:x:0:0:root:/root:/bin/sh\n`, 'what the process read at / (its marker, busybox\'s /etc/passwd)');
      eq(mountTableOf([ctx.work]), before, 'the runtime\'s mount table while it runs');
      succeeded(ctx.delete(ctx.id, true), 'tsrun delete --force');
      eq(mountTableOf([ctx.work]), before, 'the runtime\'s mount table after delete');
      ctx.assertNothingLeft(ctx.id, { after: 'delete' });
    },
  },
  {
    name: 'namespace_mount_inherited_mounts_fail',
    rule: 'config-linux.md Namespaces (mount inherited) with the default mounts: each would be made in the runtime\'s own mount table; tsrun refuses the first by name (runtime.md create: error, no container)',
    patch: (c) => removeNamespace(c, 'mount'),
    fail: [/\/mounts\/0: mounting proc at \/proc would change the host's own mount table/],
  },
  {
    name: 'namespace_mount_inherited_masked_paths_fail',
    rule: 'config-linux.md Namespaces (mount inherited) with maskedPaths: masking mounts over the paths in the runtime\'s own mount table; refused by name as runc refuses it ("unable to restrict sys entries without a private MNT namespace")',
    patch: (c) => {
      removeNamespace(c, 'mount');
      c.mounts = [];
    },
    fail: '/linux/maskedPaths',
  },
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
    name: 'namespace_path_mount_runtime_own_fail',
    rule: 'config-linux.md Namespaces path: the runtime\'s own mount namespace given by path is no namespace of the container\'s; building the rootfs in it (mounts, pivot_root) would change the runtime\'s mount table, so it is refused by name (leave "mount" out to share it)',
    patch: (c) => setNamespace(c, 'mount', '/proc/self/ns/mnt'),
    fail: [/\/linux\/namespaces\/\d+\/path: \/proc\/self\/ns\/mnt is the runtime's own mount namespace/],
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
