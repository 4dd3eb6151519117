// runtime-spec config.md "Mounts": order, destination, source, type, bind/rbind, data options,
// tmpcopyup, and runtime-linux.md's /dev symlinks; plus the CVE-2021-30465 class (a symlink in
// the rootfs must never make the runtime create or mount anything outside it).
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, ok } from '../lib/assert.mjs';
import { addBind, addMount, addTmpfs } from '../lib/config.mjs';
import { makeDir, makeTreeWithSubmounts } from '../lib/host-tree.mjs';
import { mountAt, parseMountinfo, sections } from '../lib/proc.mjs';

export const section = '2. mounts';

const MOUNTINFO = 'echo @@mountinfo; cat /proc/self/mountinfo';

function mountsOf(r) {
  return parseMountinfo(sections(r.stdout).mountinfo ?? r.stdout);
}

function mustHave(mounts, point) {
  const m = mountAt(mounts, point);
  ok(m, `nothing mounted at ${point} inside the container`);
  return m;
}

export default [
  {
    name: 'mounts_in_order',
    rule: 'config.md Mounts: "The runtime MUST mount entries in the listed order." (/tmp, then /tmp/a on it, then /tmp/a/b on that)',
    script: MOUNTINFO,
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m']);
      addTmpfs(c, '/tmp/a', ['size=1m']);
      addTmpfs(c, '/tmp/a/b', ['size=1m']);
    },
    expect: (r) => {
      const ms = mountsOf(r);
      const tmp = mustHave(ms, '/tmp');
      const a = mustHave(ms, '/tmp/a');
      const b = mustHave(ms, '/tmp/a/b');
      eq(a.parent, tmp.id, '/tmp/a mounted on /tmp (parent id)');
      eq(b.parent, a.id, '/tmp/a/b mounted on /tmp/a (parent id)');
      ok(ms.indexOf(tmp) < ms.indexOf(a) && ms.indexOf(a) < ms.indexOf(b), 'mountinfo order differs from config order');
    },
  },
  {
    name: 'mounts_destination_relative',
    rule: 'config.md Mounts destination [v1.2.0]: a relative destination is deprecated but allowed, "relative to /" ("tmp" means /tmp)',
    script: MOUNTINFO,
    patch: (c) => addTmpfs(c, 'tmp', ['size=1m']),
    expect: (r) => eq(mustHave(mountsOf(r), '/tmp').fstype, 'tmpfs', '/tmp type'),
  },
  {
    name: 'mounts_bind_dir',
    rule: 'config.md Mounts source: "a directory name if the options indicate a bind mount" (bind of a host directory)',
    script: 'cat /tmp/hello.txt',
    patch: (c, ctx) => addBind(c, makeDir(ctx, 'data', { 'hello.txt': 'hello from host\n' }), '/tmp'),
    expect: (r) => eq(r.stdout, 'hello from host\n', 'file seen through the bind mount'),
  },
  {
    name: 'mounts_bind_source_relative_to_bundle',
    rule: 'config.md Mounts source: "Path values for bind mounts are either absolute or relative to the bundle."',
    script: 'cat /tmp/rel.txt',
    patch: (c, ctx) => {
      fs.mkdirSync(path.join(ctx.bundle, 'reldata'));
      fs.writeFileSync(path.join(ctx.bundle, 'reldata', 'rel.txt'), 'relative ok\n');
      addBind(c, 'reldata', '/tmp');
    },
    expect: (r) => eq(r.stdout, 'relative ok\n', 'file seen through the relative bind'),
  },
  {
    name: 'mounts_bind_file',
    rule: 'config.md Mounts source: "a file ... name if the options indicate a bind mount" (the destination file is created on a tmpfs)',
    script: 'stat -c %F /tmp/f.txt; cat /tmp/f.txt',
    patch: (c, ctx) => {
      const dir = makeDir(ctx, 'files', { 'f.txt': 'one file\n' });
      addTmpfs(c, '/tmp', ['size=1m']);
      addBind(c, path.join(dir, 'f.txt'), '/tmp/f.txt');
    },
    expect: (r) => eq(r.stdout, 'regular file\none file\n', 'bound file'),
  },
  {
    name: 'mounts_bind_type_ignored',
    rule: 'config.md Mounts type: bind mounts are selected by the bind/rbind options; the type (here an unknown "xdummy" and a missing one) is not used',
    script: 'cat /tmp/t.txt /var/tmp/t.txt',
    patch: (c, ctx) => {
      const dir = makeDir(ctx, 'data', { 't.txt': 'typed\n' });
      addMount(c, { destination: '/tmp', type: 'xdummy', source: dir, options: ['bind'] });
      addMount(c, { destination: '/var/tmp', source: dir, options: ['rbind'] });
    },
    expect: (r) => eq(r.stdout, 'typed\ntyped\n', 'both binds'),
  },
  {
    name: 'mounts_bind_not_recursive',
    rule: 'config.md Mounts options: "bind" is a non-recursive bind: submounts of the source are not carried (mount(2) MS_BIND without MS_REC)',
    script: 'ls /tmp/sub; echo @@; cat /tmp/top.txt',
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['bind']),
    expect: (r) => eq(r.stdout, '@@\ntop\n', 'ls of the (unmounted) /tmp/sub, then top.txt'),
  },
  {
    name: 'mounts_rbind_recursive',
    rule: 'config.md Mounts options: "rbind" is a recursive bind: submounts of the source are carried (MS_BIND|MS_REC)',
    script: 'cat /tmp/sub/file',
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['rbind']),
    expect: (r) => eq(r.stdout, 'in-submount\n', 'file of the submount'),
  },
  {
    name: 'mounts_bind_ro',
    rule: 'config.md Mounts options: "ro" on a bind mount makes it read-only (bind, then remount MS_RDONLY) without changing the source',
    script: `${MOUNTINFO}; echo @@touch; touch /tmp/x 2>&1; echo rc=$?`,
    patch: (c, ctx) => addBind(c, makeDir(ctx, 'data', { a: 'a' }), '/tmp', ['bind', 'ro']),
    expect: (r, ctx) => {
      const s = sections(r.stdout);
      ok(mustHave(parseMountinfo(s.mountinfo), '/tmp').options.includes('ro'), '/tmp not ro');
      match(s.touch, /Read-only file system[\s\S]*rc=1/, 'touch in the ro bind');
      fs.writeFileSync(path.join(ctx.work, 'data', 'host-write'), 'x'); // the host side stays writable
    },
  },
  {
    name: 'mounts_bind_source_missing_fail',
    rule: 'config.md Mounts source: the bind source must exist; runtime.md create: a property that cannot be applied is an error and no container is created',
    patch: (c, ctx) => addBind(c, path.join(ctx.work, 'no-such-source'), '/tmp'),
    fail: 'no-such-source',
  },
  {
    name: 'mounts_unknown_data_option_fail',
    rule: 'config.md Mounts options: unknown option strings go to mount(2) as data; one the filesystem rejects is an error at create',
    patch: (c) => addTmpfs(c, '/tmp', ['xbogusopt=1']),
    fail: /\/tmp|xbogusopt|mount/,
  },
  {
    name: 'mounts_data_options',
    rule: 'config.md Mounts options: options that are not mount flags SHOULD be passed to mount(2) as a comma-separated data string (tmpfs size, mode, nr_inodes)',
    script: MOUNTINFO,
    patch: (c) => addTmpfs(c, '/tmp', ['size=2m', 'mode=700', 'nr_inodes=1k']),
    expect: (r) => {
      const m = mustHave(mountsOf(r), '/tmp');
      for (const o of ['size=2048k', 'mode=700', 'nr_inodes=1024']) ok(m.superOptions.includes(o), `/tmp super options ${m.superOptions} lack ${o}`);
    },
  },
  {
    name: 'mounts_tmpcopyup',
    rule: 'config.md Mounts options: "tmpcopyup" (MAY): copy the contents of the destination directory into the new tmpfs',
    script: `${MOUNTINFO}; echo @@passwd; grep -c ^tsuser: /etc/passwd; echo @@touch; touch /etc/newfile && echo written`,
    patch: (c) => addTmpfs(c, '/etc', ['tmpcopyup', 'size=1m']),
    expect: (r) => {
      const s = sections(r.stdout);
      eq(mustHave(parseMountinfo(s.mountinfo), '/etc').fstype, 'tmpfs', '/etc type');
      eq(s.passwd, '1', '/etc/passwd copied into the tmpfs');
      eq(s.touch, 'written', 'the tmpfs is writable');
    },
  },
  {
    name: 'mounts_symlink_no_host_escape',
    rule: 'runtime-spec config.md Mounts destination is a path in the container: a symlink in the rootfs pointing at a host path must not make the runtime create or mount anything on the host (CVE-2021-30465 class)',
    run: (ctx) => {
      const victim = makeDir(ctx, 'victim');
      const data = makeDir(ctx, 'data');
      fs.symlinkSync(victim, path.join(data, 'esc')); // absolute host path, seen from the rootfs
      addBind(ctx.config, data, '/tmp');
      addTmpfs(ctx.config, '/tmp/esc/newdir', ['size=1m']);
      ctx.config.process.args = ['true'];
      const r = ctx.run();
      eq(fs.readdirSync(victim), [], `host directory ${victim} after the run (tsrun exit ${r.status}: ${r.stderr.trim()})`);
    },
  },
  {
    name: 'mounts_dev_std_symlinks',
    rule: 'runtime-linux.md Dev symbolic links: "the runtime MUST create the following symlinks": /dev/fd -> /proc/self/fd, /dev/stdin, /dev/stdout, /dev/stderr -> /proc/self/fd/0..2',
    script: 'for l in fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done',
    expect: (r) => eq(r.stdout, 'fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\nstderr /proc/self/fd/2\n', '/dev symlinks'),
  },
  {
    name: 'mounts_default_filesystems',
    rule: 'config-linux.md / runtime-linux.md: the default mounts give /proc (proc), /sys (sysfs), /dev (tmpfs), /dev/pts (devpts), /dev/shm (tmpfs), /dev/mqueue (mqueue), in the listed order',
    script: MOUNTINFO,
    expect: (r) => {
      const ms = mountsOf(r);
      const want = { '/proc': 'proc', '/dev': 'tmpfs', '/dev/pts': 'devpts', '/dev/shm': 'tmpfs', '/dev/mqueue': 'mqueue', '/sys': 'sysfs' };
      for (const [p, t] of Object.entries(want)) eq(mustHave(ms, p).fstype, t, `type at ${p}`);
      const sys = mustHave(ms, '/sys');
      ok(sys.options.includes('ro') && sys.options.includes('nosuid'), `/sys options ${sys.options}`);
      const pts = mustHave(ms, '/dev/pts');
      for (const o of ['mode=620', 'ptmxmode=666', 'gid=5']) ok(pts.superOptions.includes(o), `/dev/pts super options ${pts.superOptions} lack ${o}`);
    },
  },
  {
    name: 'mounts_proc_of_container_pid_namespace',
    rule: 'config.md Mounts: the proc mount is made inside the container\'s PID namespace, so /proc shows only its processes',
    // The pipeline's own processes (sh, ls, grep, tr) are all the container has.
    script: 'ls /proc | grep -E "^[0-9]+$" | tr "\\n" " "; echo; cat /proc/1/cmdline | tr "\\0" " "',
    expect: (r) => {
      const [pids, cmd] = r.stdout.split('\n');
      const list = pids.trim().split(' ');
      ok(list.length <= 6, `/proc lists pids ${pids}: more than the container's`);
      ok(list.includes('1'), `pid 1 missing from /proc (${pids})`);
      match(cmd, /^sh -c /, '/proc/1/cmdline');
    },
  },
  {
    name: 'mounts_cgroup_readonly',
    rule: 'config.md Mounts: the default cgroup mount with "ro" is read-only inside the container',
    script: `${MOUNTINFO}; echo @@mk; mkdir /sys/fs/cgroup/x 2>&1; echo rc=$?`,
    expect: (r) => {
      const s = sections(r.stdout);
      const cg = mustHave(parseMountinfo(s.mountinfo), '/sys/fs/cgroup');
      ok(cg.options.includes('ro'), `/sys/fs/cgroup options ${cg.options} lack ro`);
      match(s.mk, /rc=1$/, 'mkdir under /sys/fs/cgroup');
    },
  },
];
