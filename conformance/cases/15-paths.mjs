// runtime-spec config-linux.md "Rootfs Mount Propagation", "Masked Paths", "Readonly Paths"
// (mountLabel needs SELinux: refused, see 90-unsupported.mjs).
import fs from 'node:fs';
import { eq, match, ok } from '../lib/assert.mjs';
import { addTmpfs } from '../lib/config.mjs';
import { ROOTFS } from '../lib/context.mjs';
import { hostMounts } from '../lib/host.mjs';
import { mountAt, parseMountinfo, sections } from '../lib/proc.mjs';

export const section = '15-18. rootfsPropagation, maskedPaths, readonlyPaths';

function propagationCase(value, check) {
  return {
    name: `rootfs_propagation_${value}`,
    rule: `config-linux.md Rootfs Mount Propagation: "sets the rootfs's mount propagation. Its value is either shared, slave, private or unbindable." (${value})`,
    script: 'cat /proc/self/mountinfo',
    patch: (c) => {
      c.linux.rootfsPropagation = value;
    },
    expect: (r) => {
      const root = mountAt(parseMountinfo(r.stdout), '/');
      ok(root, 'no / mount inside');
      check(root.optional);
    },
  };
}

/** For each masked path: "<path> dir <entries>", "<path> file <bytes>" or "<path> absent". */
const MASK_PROBE = `for p in "$@"; do
  if [ -d "$p" ]; then echo "$p dir $(ls -A "$p" | wc -l)";
  elif [ -e "$p" ]; then echo "$p file $(cat "$p" 2>/dev/null | wc -c)";
  else echo "$p absent"; fi
done`;

/** Paths present on the host (same kernel) must read empty inside; at least one must exist. */
function checkMasked(r, paths) {
  const seen = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ')]));
  let checked = 0;
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    checked++;
    const kind = fs.statSync(p).isDirectory() ? 'dir' : 'file';
    eq(seen[p], `${kind} 0`, `${p} inside the container`);
  }
  ok(checked > 0, 'none of the masked paths exists on this kernel');
}

export default [
  propagationCase('shared', (tags) => ok(tags.some((t) => t.startsWith('shared:')), `/ propagation ${tags} is not shared`)),
  // A slave has a master only when the host mount holding the rootfs is shared; on a host whose
  // mount is private, slave looks like private. Either way it is neither shared nor unbindable.
  propagationCase('slave', (tags) => {
    ok(!tags.some((t) => t.startsWith('shared:') || t === 'unbindable'), `/ propagation ${tags} is not slave`);
    const host = hostMounts().filter((m) => ROOTFS.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`)).pop();
    if (host?.optional.some((t) => t.startsWith('shared:'))) ok(tags.some((t) => t.startsWith('master:')), `/ propagation ${tags} has no master`);
  }),
  propagationCase('private', (tags) => eq(tags, [], '/ propagation tags')),
  propagationCase('unbindable', (tags) => eq(tags, ['unbindable'], '/ propagation tags')),
  {
    name: 'rootfs_propagation_invalid_fail',
    rule: 'config-linux.md Rootfs Mount Propagation: a value other than shared, slave, private, unbindable is invalid (error)',
    patch: (c) => {
      c.linux.rootfsPropagation = 'everywhere';
    },
    fail: '/linux/rootfsPropagation',
  },
  {
    name: 'masked_paths_default',
    rule: 'config-linux.md Masked Paths: "masks over the provided paths inside the container so that they cannot be read" (every default masked path this kernel has: files read empty, directories list empty)',
    patch: (c) => {
      c.process.args = ['sh', '-c', MASK_PROBE, 'probe', ...c.linux.maskedPaths];
    },
    expect: (r, ctx) => checkMasked(r, ctx.config.linux.maskedPaths),
  },
  {
    name: 'masked_paths_custom',
    rule: 'config-linux.md Masked Paths: "The values MUST be absolute paths in the container namespace" (an added file /proc/version and directory /sys/kernel become unreadable)',
    patch: (c) => {
      c.linux.maskedPaths = ['/proc/version', '/sys/kernel'];
      c.process.args = ['sh', '-c', MASK_PROBE, 'probe', ...c.linux.maskedPaths];
    },
    expect: (r, ctx) => checkMasked(r, ctx.config.linux.maskedPaths),
  },
  {
    name: 'masked_paths_missing_ignored',
    rule: 'config-linux.md Masked Paths: a path that does not exist in the container has nothing to mask (runc skips it); the container still runs',
    script: 'echo masked-ok',
    patch: (c) => {
      c.linux.maskedPaths.push('/conf/no/such/path');
    },
    expect: (r) => eq(r.stdout, 'masked-ok\n', 'stdout'),
  },
  {
    name: 'masked_paths_relative_fail',
    rule: 'config-linux.md Masked Paths: "The values MUST be absolute paths in the container namespace."',
    patch: (c) => {
      c.linux.maskedPaths.push('proc/kcore');
    },
    fail: '/linux/maskedPaths/10',
  },
  {
    name: 'readonly_paths_default',
    rule: 'config-linux.md Readonly Paths: "sets the provided paths as readonly inside the container" (every default read-only path this kernel has; a write to /proc/sys fails)',
    script: 'cat /proc/self/mountinfo; echo @@write; (echo x > /proc/sys/kernel/domainname) 2>&1; echo rc=$?',
    expect: (r, ctx) => {
      const mounts = parseMountinfo(r.stdout.split('@@write')[0]);
      const present = ctx.config.linux.readonlyPaths.filter((p) => fs.existsSync(p));
      ok(present.includes('/proc/sys'), 'the default readonlyPaths lost /proc/sys');
      for (const p of present) {
        const m = mountAt(mounts, p);
        ok(m, `nothing mounted at ${p}`);
        ok(m.options.includes('ro'), `${p} options ${m.options} lack ro`);
      }
      match(sections(r.stdout).write, /Read-only file system[\s\S]*rc=1/, 'write to /proc/sys/kernel/domainname');
    },
  },
  {
    name: 'readonly_paths_custom',
    rule: 'config-linux.md Readonly Paths: "The values MUST be absolute paths in the container namespace." A listed path is read-only while its parent stays writable',
    script: 'touch /tmp/ok && echo parent-writable; touch /tmp/ro/x 2>&1; echo rc=$?',
    patch: (c) => {
      addTmpfs(c, '/tmp', ['size=1m']);
      addTmpfs(c, '/tmp/ro', ['size=1m']);
      c.linux.readonlyPaths.push('/tmp/ro');
    },
    expect: (r) => match(r.stdout, /^parent-writable\n.*Read-only file system\nrc=1\n$/, 'writes'),
  },
  {
    name: 'readonly_paths_relative_fail',
    rule: 'config-linux.md Readonly Paths: "The values MUST be absolute paths in the container namespace."',
    patch: (c) => {
      c.linux.readonlyPaths.push('proc/sys');
    },
    fail: '/linux/readonlyPaths/5',
  },
];
