// runtime-spec config-linux.md "Devices" (linux.devices) and "Default Devices".
import fs from 'node:fs';
import path from 'node:path';
import { eq, match } from '../lib/assert.mjs';
import { addBind } from '../lib/config.mjs';
import { makeDir } from '../lib/host-tree.mjs';

export const section = '8. devices';

/** stat line per path: name, type, major:minor in hex (stat %t/%T), octal mode, uid, gid. */
const statOf = (paths) => `for p in ${paths.join(' ')}; do stat -c '%n|%F|%t:%T|%a|%u|%g' $p; done`;

function device(c, d) {
  c.linux.devices = c.linux.devices ?? [];
  c.linux.devices.push(d);
}

export default [
  {
    name: 'linux_devices_default',
    rule: 'config-linux.md Default Devices: "the runtime MUST supply" /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty as character devices',
    script: statOf(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']),
    expect: (r) => {
      const want = { '/dev/null': '1:3', '/dev/zero': '1:5', '/dev/full': '1:7', '/dev/random': '1:8', '/dev/urandom': '1:9', '/dev/tty': '5:0' };
      const lines = r.stdout.trim().split('\n');
      eq(lines.length, 6, 'stat lines');
      for (const line of lines) {
        const [name, type, mm] = line.split('|');
        eq(`${type} ${mm}`, `character special file ${want[name]}`, name);
      }
    },
  },
  {
    name: 'linux_devices_default_usable',
    rule: 'config-linux.md Default Devices: the supplied devices work (read /dev/zero, write /dev/null) despite the default deny-all device cgroup',
    script: 'head -c 4 /dev/zero | od -An -tx1 | tr -d " "; echo x > /dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c',
    expect: (r) => eq(r.stdout, '00000000\nnull-ok\n8\n', 'device i/o'),
  },
  {
    name: 'linux_devices_ptmx',
    rule: 'config-linux.md Default Devices: "/dev/ptmx. A bind-mount or symlink of the container\'s /dev/pts/ptmx."',
    script: 'readlink /dev/ptmx || stat -c "%t:%T" /dev/ptmx',
    expect: (r) => match(r.stdout, /^(pts\/ptmx|\/dev\/pts\/ptmx|5:2)\n$/, '/dev/ptmx'),
  },
  {
    name: 'linux_devices_char_created',
    rule: 'config-linux.md Devices: "the runtime MUST make" each listed device available at path, with type c, major, minor, fileMode, uid, gid',
    script: statOf(['/dev/conf-char']),
    patch: (c) => device(c, { type: 'c', path: '/dev/conf-char', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001 }),
    expect: (r) => eq(r.stdout, '/dev/conf-char|character special file|1:3|640|1000|1001\n', 'stat'),
  },
  {
    name: 'linux_devices_block_created',
    rule: 'config-linux.md Devices type: "b" is a block device',
    script: statOf(['/dev/conf-blk']),
    patch: (c) => device(c, { type: 'b', path: '/dev/conf-blk', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 0 }),
    expect: (r) => eq(r.stdout, '/dev/conf-blk|block special file|7:0|600|0|0\n', 'stat'),
  },
  {
    name: 'linux_devices_fifo_created',
    rule: 'config-linux.md Devices type: "p" is a FIFO; major and minor are not required for it',
    script: statOf(['/dev/conf-fifo']),
    patch: (c) => device(c, { type: 'p', path: '/dev/conf-fifo', fileMode: 0o620, uid: 0, gid: 5 }),
    expect: (r) => match(r.stdout, /^\/dev\/conf-fifo\|fifo\|0:0\|620\|0\|5\n$/, 'stat'),
  },
  {
    name: 'linux_devices_unbuffered_char',
    rule: 'config-linux.md Devices type: "u" is an unbuffered character device (mknod(2) S_IFCHR)',
    script: statOf(['/dev/conf-u']),
    patch: (c) => device(c, { type: 'u', path: '/dev/conf-u', major: 1, minor: 5, fileMode: 0o666 }),
    expect: (r) => match(r.stdout, /^\/dev\/conf-u\|character special file\|1:5\|666\|0\|0\n$/, 'stat'),
  },
  {
    name: 'linux_devices_nested_path',
    rule: 'config-linux.md Devices path: "Full path to device inside container" (missing parent directories are created)',
    script: statOf(['/dev/conf/sub/zero']),
    patch: (c) => device(c, { type: 'c', path: '/dev/conf/sub/zero', major: 1, minor: 5, fileMode: 0o666 }),
    expect: (r) => match(r.stdout, /^\/dev\/conf\/sub\/zero\|character special file\|1:5\|/, 'stat'),
  },
  {
    name: 'linux_devices_major_required_fail',
    rule: 'config-linux.md Devices major, minor: "(int64, REQUIRED unless type is p)"',
    patch: (c) => device(c, { type: 'c', path: '/dev/conf-nomajor', minor: 3 }),
    fail: '/linux/devices/0/major',
  },
  {
    name: 'linux_devices_type_invalid_fail',
    rule: 'config-linux.md Devices type: "(string, REQUIRED) type of device: c, b, u or p"',
    patch: (c) => device(c, { type: 'x', path: '/dev/conf-x', major: 1, minor: 3 }),
    fail: '/linux/devices/0/type',
  },
  {
    name: 'linux_devices_path_relative_fail',
    rule: 'config-linux.md Devices path: "Full path to device inside container" (a relative path is invalid)',
    patch: (c) => device(c, { type: 'c', path: 'dev/conf-rel', major: 1, minor: 3 }),
    fail: '/linux/devices/0/path',
  },
  {
    name: 'linux_devices_existing_mismatch_fail',
    rule: 'config-linux.md Devices path: "If a file already exists at path that does not match the requested device, the runtime MUST generate an error."',
    patch: (c, ctx) => {
      addBind(c, makeDir(ctx, 'data', { node: 'a regular file\n' }), '/tmp');
      device(c, { type: 'c', path: '/tmp/node', major: 1, minor: 3, fileMode: 0o666 });
    },
    fail: '/tmp/node',
  },
  {
    name: 'linux_devices_symlink_no_host_escape',
    rule: 'config-linux.md Devices path is "inside container": a symlink in the rootfs pointing at a host directory must not make the runtime create a device node on the host (CVE-2021-30465 class)',
    run: (ctx) => {
      const victim = makeDir(ctx, 'victim');
      const data = makeDir(ctx, 'data');
      fs.symlinkSync(victim, path.join(data, 'esc'));
      addBind(ctx.config, data, '/tmp');
      device(ctx.config, { type: 'c', path: '/tmp/esc/node', major: 1, minor: 3, fileMode: 0o666 });
      ctx.config.process.args = ['true'];
      const r = ctx.run();
      eq(fs.readdirSync(victim), [], `host directory ${victim} after the run (tsrun exit ${r.status}: ${r.stderr.trim()})`);
    },
  },
];
