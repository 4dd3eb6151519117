// runtime-spec config.md "Mounts" options table (v1.1.0): mount flags, their clearing
// counterparts, propagation options and the recursive attributes (mount_setattr(2),
// AT_RECURSIVE). Each case mounts tmpfs (or binds a host tree with submounts) and reads
// /proc/self/mountinfo from inside: per-mount flags are in field 6, superblock flags (sync,
// dirsync, lazytime) in the last field, propagation tags in the optional fields.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { eq, match, ok } from '../lib/assert.mjs';
import { addBind, addTmpfs } from '../lib/config.mjs';
import { makeTreeWithSubmounts } from '../lib/host-tree.mjs';
import { hostMounts } from '../lib/host.mjs';
import { mountAt, parseMountinfo, sections } from '../lib/proc.mjs';

export const section = '2. mounts: options';

const MOUNTINFO = 'cat /proc/self/mountinfo';

function at(r, point) {
  const m = mountAt(parseMountinfo(sections(r.stdout).mountinfo ?? r.stdout), point);
  ok(m, `nothing mounted at ${point} inside the container`);
  return m;
}
function has(m, opts, field = 'options') {
  for (const o of opts) ok(m[field].includes(o), `${m.mountPoint} ${field} ${m[field].join(',')} lack ${o}`);
}
function lacks(m, opts, field = 'options') {
  for (const o of opts) ok(!m[field].includes(o), `${m.mountPoint} ${field} ${m[field].join(',')} still have ${o}`);
}

/** A case: tmpfs at /tmp/o<i> for each option list (under a tmpfs /tmp), then check(mounts). */
function optionCase(name, rule, optionLists, check) {
  return {
    name,
    rule,
    script: MOUNTINFO,
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m']);
      optionLists.forEach((opts, i) => addTmpfs(c, `/tmp/o${i}`, ['size=1m', ...opts]));
    },
    expect: (r) => check(optionLists.map((_, i) => at(r, `/tmp/o${i}`)), r),
  };
}

export default [
  optionCase('mount_option_ro', 'config.md Mounts options: "ro" MUST be supported (MS_RDONLY)', [['ro']], ([m]) => has(m, ['ro'])),
  optionCase('mount_option_rw_after_ro', 'config.md Mounts options: "rw" MUST be supported (clears MS_RDONLY; the later option wins)', [['ro', 'rw']], ([m]) => has(m, ['rw'])),
  optionCase(
    'mount_option_nosuid_nodev_noexec',
    'config.md Mounts options: "nosuid", "nodev", "noexec" MUST be supported (MS_NOSUID, MS_NODEV, MS_NOEXEC)',
    [['nosuid', 'nodev', 'noexec']],
    ([m]) => has(m, ['nosuid', 'nodev', 'noexec']),
  ),
  optionCase(
    'mount_option_suid_dev_exec',
    'config.md Mounts options: "suid", "dev", "exec" MUST be supported (they clear nosuid, nodev, noexec)',
    [['nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec']],
    ([m]) => lacks(m, ['nosuid', 'nodev', 'noexec']),
  ),
  optionCase(
    'mount_option_atime_family',
    'config.md Mounts options: "noatime", "relatime", "strictatime", "nodiratime", "atime", "diratime" MUST be supported (MS_NOATIME, MS_RELATIME, MS_STRICTATIME, MS_NODIRATIME)',
    [['noatime'], ['relatime'], ['strictatime'], ['nodiratime'], ['noatime', 'atime'], ['nodiratime', 'diratime']],
    ([noatime, relatime, strict, nodiratime, atime, diratime]) => {
      has(noatime, ['noatime']);
      has(relatime, ['relatime']);
      lacks(strict, ['noatime', 'relatime']);
      has(nodiratime, ['nodiratime']);
      lacks(atime, ['noatime']);
      lacks(diratime, ['nodiratime']);
    },
  ),
  optionCase(
    'mount_option_norelatime_nostrictatime',
    'config.md Mounts options: "norelatime" and "nostrictatime" MUST be supported (clear MS_RELATIME / MS_STRICTATIME)',
    [['strictatime', 'nostrictatime'], ['relatime', 'norelatime', 'noatime']],
    ([a, b]) => {
      has(a, ['relatime']); // without MS_STRICTATIME the kernel defaults to relatime
      has(b, ['noatime']);
    },
  ),
  optionCase(
    'mount_option_sync_dirsync_lazytime',
    'config.md Mounts options: "sync", "dirsync", "lazytime" MUST be supported (superblock flags MS_SYNCHRONOUS, MS_DIRSYNC, MS_LAZYTIME)',
    [['sync'], ['dirsync'], ['lazytime']],
    ([sync, dirsync, lazy]) => {
      has(sync, ['sync'], 'superOptions');
      has(dirsync, ['dirsync'], 'superOptions');
      has(lazy, ['lazytime'], 'superOptions');
    },
  ),
  optionCase(
    'mount_option_async_nolazytime',
    'config.md Mounts options: "async" and "nolazytime" MUST be supported (clear MS_SYNCHRONOUS / MS_LAZYTIME)',
    [['sync', 'async'], ['lazytime', 'nolazytime']],
    ([a, b]) => {
      lacks(a, ['sync'], 'superOptions');
      lacks(b, ['lazytime'], 'superOptions');
    },
  ),
  optionCase(
    'mount_option_defaults_silent_loud_iversion',
    'config.md Mounts options: "defaults", "silent", "loud", "iversion", "noiversion" MUST be supported (accepted; "defaults" adds no flag, as in mount(8) and runc)',
    [['defaults'], ['silent'], ['loud'], ['iversion'], ['noiversion']],
    ([d]) => {
      has(d, ['rw']);
      lacks(d, ['ro', 'noexec', 'nosuid', 'nodev']);
    },
  ),
  optionCase(
    'mount_option_nosymfollow',
    'config.md Mounts options: "nosymfollow" / "symfollow" [v1.1.0] (MS_NOSYMFOLLOW, kernel 5.10+)',
    [['nosymfollow'], ['nosymfollow', 'symfollow']],
    ([a, b]) => {
      has(a, ['nosymfollow']);
      lacks(b, ['nosymfollow']);
    },
  ),
  {
    name: 'mount_option_remount',
    rule: 'config.md Mounts options: "remount" MUST be supported (MS_REMOUNT: change the flags of the mount already at the destination)',
    script: `${MOUNTINFO}; echo @@count; grep -c " /tmp " /proc/self/mountinfo`,
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m']);
      addTmpfs(c, '/tmp', ['remount', 'ro', 'size=1m']);
    },
    expect: (r) => {
      has(at(r, '/tmp'), ['ro']);
      eq(sections(r.stdout).count, '1', 'mounts at /tmp (a remount adds none)');
    },
  },
  {
    name: 'mount_option_propagation_shared_unbindable_private',
    rule: 'config.md Mounts options: "shared", "unbindable", "private" MUST be supported (MS_SHARED, MS_UNBINDABLE, MS_PRIVATE)',
    script: MOUNTINFO,
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m', 'shared']);
      addTmpfs(c, '/var/tmp', ['size=1m', 'unbindable']);
      addTmpfs(c, '/home', ['size=1m', 'shared', 'private']);
    },
    expect: (r) => {
      ok(at(r, '/tmp').optional.some((t) => t.startsWith('shared:')), `/tmp propagation ${at(r, '/tmp').optional} not shared`);
      eq(at(r, '/var/tmp').optional, ['unbindable'], '/var/tmp propagation tags');
      eq(at(r, '/home').optional, [], '/home propagation tags (private)');
    },
  },
  {
    name: 'mount_option_propagation_slave',
    rule: 'config.md Mounts options: "slave" MUST be supported (MS_SLAVE: the mount receives events from its master peer group)',
    script: MOUNTINFO,
    patch: (c, ctx) => {
      const tree = makeTreeWithSubmounts(ctx);
      execFileSync('mount', ['--make-shared', path.join(tree, 'sub')]);
      addBind(c, path.join(tree, 'sub'), '/tmp', ['bind', 'slave']);
    },
    expect: (r, ctx) => {
      const host = hostMounts().find((m) => m.mountPoint === path.join(ctx.work, 'tree', 'sub'));
      const peer = host?.optional.find((t) => t.startsWith('shared:'));
      ok(peer, 'the host submount is not shared');
      eq(at(r, '/tmp').optional, [`master:${peer.slice('shared:'.length)}`], '/tmp propagation tags');
    },
  },
  {
    name: 'mount_option_propagation_recursive',
    rule: 'config.md Mounts options: "rshared", "rslave", "rprivate", "runbindable" MUST be supported (MS_REC with the propagation flag)',
    script: MOUNTINFO,
    patch: (c, ctx) => {
      const tree = makeTreeWithSubmounts(ctx);
      addBind(c, tree, '/tmp', ['rbind', 'runbindable']);
      addBind(c, tree, '/var/tmp', ['rbind', 'rshared']);
      addBind(c, tree, '/home', ['rbind', 'rshared', 'rprivate']);
      addBind(c, tree, '/root', ['rbind', 'rshared', 'rslave']);
    },
    expect: (r) => {
      // rslave of a peer group that exists only in the container's copy: no shared tag is left.
      ok(!at(r, '/root/sub').optional.some((t) => t.startsWith('shared:') || t === 'unbindable'), '/root/sub still shared (rslave)');
      eq(at(r, '/tmp/sub').optional, ['unbindable'], '/tmp/sub tags (runbindable)');
      ok(at(r, '/var/tmp/sub').optional.some((t) => t.startsWith('shared:')), '/var/tmp/sub not shared (rshared)');
      eq(at(r, '/home/sub').optional, [], '/home/sub tags (rprivate)');
    },
  },
  {
    name: 'mount_option_recursive_rro',
    rule: 'config.md Mounts options [v1.1.0]: "rro" SHOULD make the mount and every submount read-only (mount_setattr AT_RECURSIVE)',
    script: MOUNTINFO,
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['rbind', 'rro']),
    expect: (r) => {
      has(at(r, '/tmp'), ['ro']);
      has(at(r, '/tmp/sub'), ['ro']);
    },
  },
  {
    name: 'mount_option_recursive_rrw',
    rule: 'config.md Mounts options [v1.1.0]: "rrw" SHOULD make the mount and every submount read-write (clears MOUNT_ATTR_RDONLY recursively)',
    script: MOUNTINFO,
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['rbind', 'rrw']),
    expect: (r) => {
      has(at(r, '/tmp/subro'), ['rw']);
      has(at(r, '/tmp/sub'), ['rw']);
    },
  },
  {
    name: 'mount_option_recursive_nosuid_nodev_noexec',
    rule: 'config.md Mounts options [v1.1.0]: "rnosuid", "rnodev", "rnoexec" SHOULD apply to every submount',
    script: MOUNTINFO,
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['rbind', 'rnosuid', 'rnodev', 'rnoexec']),
    expect: (r) => {
      has(at(r, '/tmp/sub'), ['nosuid', 'nodev', 'noexec']);
      has(at(r, '/tmp/subro'), ['nosuid', 'nodev', 'noexec']);
    },
  },
  {
    name: 'mount_option_recursive_clear',
    rule: 'config.md Mounts options [v1.1.0]: "rsuid", "rdev", "rexec" SHOULD clear the flags on every submount',
    script: MOUNTINFO,
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['rbind', 'rnosuid', 'rnoexec', 'rnodev', 'rsuid', 'rexec', 'rdev']),
    expect: (r) => lacks(at(r, '/tmp/sub'), ['nosuid', 'nodev', 'noexec']),
  },
  {
    name: 'mount_option_recursive_atime',
    rule: 'config.md Mounts options [v1.1.0]: "rnoatime", "rnodiratime", "rnosymfollow", "rstrictatime" SHOULD apply to every submount',
    script: MOUNTINFO,
    patch: (c, ctx) => {
      const tree = makeTreeWithSubmounts(ctx);
      addBind(c, tree, '/tmp', ['rbind', 'rnoatime', 'rnodiratime', 'rnosymfollow']);
      addBind(c, tree, '/var/tmp', ['rbind', 'rstrictatime']);
    },
    expect: (r) => {
      has(at(r, '/tmp/sub'), ['noatime', 'nodiratime', 'nosymfollow']);
      lacks(at(r, '/var/tmp/sub'), ['noatime', 'relatime']);
    },
  },
  {
    name: 'mount_option_recursive_atime_clear',
    rule: 'config.md Mounts options [v1.1.0]: "ratime", "rdiratime", "rsymfollow", "rrelatime" SHOULD clear or set the attribute on every submount (the later option wins)',
    script: MOUNTINFO,
    patch: (c, ctx) => {
      const tree = makeTreeWithSubmounts(ctx);
      addBind(c, tree, '/tmp', ['rbind', 'rnoatime', 'ratime', 'rnodiratime', 'rdiratime', 'rnosymfollow', 'rsymfollow']);
      addBind(c, tree, '/var/tmp', ['rbind', 'rnoatime', 'rrelatime']);
    },
    expect: (r) => {
      lacks(at(r, '/tmp/sub'), ['noatime', 'nodiratime', 'nosymfollow']);
      has(at(r, '/var/tmp/sub'), ['relatime']);
      lacks(at(r, '/var/tmp/sub'), ['noatime']);
    },
  },
  {
    name: 'mount_option_ro_not_recursive',
    rule: 'config.md Mounts options: plain "ro" on an rbind applies to the top mount only (the recursive form is "rro")',
    script: MOUNTINFO,
    patch: (c, ctx) => addBind(c, makeTreeWithSubmounts(ctx), '/tmp', ['rbind', 'ro']),
    expect: (r) => {
      has(at(r, '/tmp'), ['ro']);
      has(at(r, '/tmp/sub'), ['rw']);
    },
  },
  {
    name: 'mount_option_ro_enforced',
    rule: 'config.md Mounts options: a "ro" mount is really read-only for the container process',
    script: 'touch /tmp/o0/x 2>&1; echo rc=$?',
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m']);
      addTmpfs(c, '/tmp/o0', ['size=1m', 'ro']);
    },
    expect: (r) => match(r.stdout, /Read-only file system\nrc=1\n$/, 'touch on the ro mount'),
  },
];
