// runtime-spec config.md "Root": path (absolute or relative to the bundle, must exist) and readonly.
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, ok } from '../lib/assert.mjs';
import { unset } from '../lib/config.mjs';
import { ROOTFS } from '../lib/context.mjs';
import { mountAt, parseMountinfo, sections } from '../lib/proc.mjs';

export const section = '1. root';

const ROOT_PROBE = 'echo @@mountinfo; cat /proc/self/mountinfo; echo @@touch; touch /conf-probe 2>&1; echo rc=$?';

export default [
  {
    name: 'root_required_fail',
    rule: 'config.md Root: "root (object, OPTIONAL) ... On Linux ... this property is REQUIRED"',
    patch: (c) => unset(c, 'root'),
    fail: 'root',
  },
  {
    name: 'root_path_missing_fail',
    rule: 'config.md Root path: "The value MUST be ... a directory that exists" (path names nothing)',
    patch: (c, ctx) => {
      c.root.path = path.join(ctx.work, 'no-such-rootfs');
    },
    fail: 'no-such-rootfs',
  },
  {
    name: 'root_path_not_directory_fail',
    rule: 'config.md Root path: the path MUST name a directory (here a regular file)',
    patch: (c) => {
      c.root.path = path.join(ROOTFS, 'etc', 'passwd');
    },
    fail: 'etc/passwd',
  },
  {
    name: 'root_path_relative_to_bundle',
    rule: 'config.md Root path: "Either an absolute path or a relative path to the bundle."',
    script: 'cat /etc/hostname 2>/dev/null; grep -c ^tsuser: /etc/passwd',
    patch: (c, ctx) => {
      c.root.path = path.relative(ctx.bundle, ROOTFS);
      if (path.isAbsolute(c.root.path)) throw new Error('could not make a relative root.path');
    },
    expect: (r) => eq(r.stdout, '1\n', 'the rootfs seen inside (tsuser in /etc/passwd)'),
  },
  {
    name: 'root_is_rootfs_bind',
    rule: 'config.md Root: "specifies the container\'s root filesystem": the container\'s / is root.path',
    script: 'echo @@mountinfo; cat /proc/self/mountinfo; echo @@ls; ls /bin/busybox',
    expect: (r) => {
      const s = sections(r.stdout);
      eq(s.ls, '/bin/busybox', 'ls /bin/busybox');
      const root = mountAt(parseMountinfo(s.mountinfo), '/');
      ok(root, 'no mount at / in the container mountinfo');
      ok(root.root.endsWith('bundles/busybox/rootfs'), `root mount's fs root is ${root.root}, expected .../bundles/busybox/rootfs`);
    },
  },
  {
    name: 'root_readonly',
    rule: 'config.md Root readonly: "If true then the root filesystem MUST be read only inside the container"',
    script: ROOT_PROBE,
    patch: (c) => {
      c.root.readonly = true;
    },
    expect: (r) => {
      const s = sections(r.stdout);
      match(s.touch, /Read-only file system/, 'touch /conf-probe');
      match(s.touch, /rc=1$/, 'touch exit status');
      const root = mountAt(parseMountinfo(s.mountinfo), '/');
      ok(root.options.includes('ro'), `/ mount options ${root.options} lack ro`);
      ok(!fs.existsSync(path.join(ROOTFS, 'conf-probe')), 'the probe file appeared in the rootfs');
    },
  },
  {
    name: 'root_readonly_default_false',
    rule: 'config.md Root readonly: "(bool, OPTIONAL) ... defaults to false": the root mount is read-write',
    script: 'grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / " /proc/self/mountinfo',
    patch: (c) => unset(c, 'root.readonly'),
    expect: (r) => {
      const root = mountAt(parseMountinfo(r.stdout), '/');
      ok(root, `no / mount in ${r.stdout}`);
      ok(root.options.includes('rw'), `/ mount options ${root.options} lack rw`);
    },
  },
];
