// The container's filesystem (config.md "Root", "Mounts"; config-linux.md "Devices",
// "rootfsPropagation", "maskedPaths", "readonlyPaths", "Sysctl"; runtime-linux.md "Default
// Devices", "Dev symbolic links"), checked from inside through /proc/self/mountinfo, stat and
// writes, and the CVE-2021-30465 class: a symlink in the rootfs must never make tsrun create or
// mount anything on the host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  REPO, assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, copyRootfs, makeStateRoot, quiet, runScript, skipReason,
  tsrun, uniqueId,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

interface MountLine {
  mountPoint: string;
  root: string;
  opts: string[];
  optional: string[];
  fstype: string;
  superOpts: string[];
}

/** proc(5) mountinfo: id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
function parseMountinfo(text: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 10 || sep < 6) continue;
    out.push({
      root: f[3],
      mountPoint: f[4],
      opts: f[5].split(','),
      optional: f.slice(6, sep),
      fstype: f[sep + 1],
      superOpts: f[sep + 3].split(','),
    });
  }
  return out;
}

/** The last (topmost) mount at `mp`. */
function mountAt(ms: MountLine[], mp: string): MountLine | undefined {
  return [...ms].reverse().find((m) => m.mountPoint === mp);
}

/** Runs a probe that prints mountinfo between markers, then more output; returns both parts. */
function probeMounts(script: string, mutate: (c: any) => void): { mounts: MountLine[]; rest: string; status: number | null; stderr: string } {
  const r = runScript(root, `cat /proc/self/mountinfo; echo ---END---; ${script}`, mutate);
  const [mi, rest = ''] = r.stdout.split('---END---\n');
  return { mounts: parseMountinfo(mi), rest, status: r.status, stderr: r.stderr };
}

t.test('default mounts and their flags', { skip: skipReason }, async (t) => {
  const p = probeMounts('true', (c) => {
    quiet(c);
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'noatime'] });
  });
  t.equal(p.status, 0, p.stderr);
  const want: Array<[string, string, string[], string[]]> = [
    // mountpoint, fstype, per-mount flags that must be set, and ones that must not
    ['/', 'ext4', ['ro'], []],
    ['/proc', 'proc', ['rw'], []],
    ['/dev', 'tmpfs', ['rw', 'nosuid'], ['noexec', 'relatime']], // strictatime: no relatime
    ['/dev/pts', 'devpts', ['nosuid', 'noexec'], []],
    ['/dev/shm', 'tmpfs', ['nosuid', 'nodev', 'noexec'], []],
    ['/dev/mqueue', 'mqueue', ['nosuid', 'nodev', 'noexec'], []],
    ['/sys', 'sysfs', ['ro', 'nosuid', 'nodev', 'noexec'], []],
    ['/tmp', 'tmpfs', ['nosuid', 'nodev', 'noexec', 'noatime'], ['relatime']],
  ];
  for (const [mp, fstype, set, unset] of want) {
    const m = mountAt(p.mounts, mp);
    t.ok(m, `${mp} is mounted`);
    if (!m) continue;
    if (mp !== '/') t.equal(m.fstype, fstype, `${mp} is ${fstype}`);
    for (const o of set) t.ok(m.opts.includes(o), `${mp} has ${o} (${m.opts.join(',')})`);
    for (const o of unset) t.notOk(m.opts.includes(o), `${mp} has no ${o}`);
  }
  const dev = mountAt(p.mounts, '/dev');
  t.ok(dev?.superOpts.includes('mode=755') && dev?.superOpts.includes('size=65536k'), 'data options reach tmpfs');
  const pts = mountAt(p.mounts, '/dev/pts');
  t.ok(pts?.superOpts.includes('ptmxmode=666') && pts?.superOpts.includes('gid=5'), 'devpts options');
  assertNoLeaks(t, root);
});

t.test('bind mounts: relative source, file bind, ro, rbind, rro', { skip: skipReason }, async (t) => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'bindsrc-'));
  t.teardown(() => {
    spawnSync('umount', ['-l', path.join(host, 'tree', 'inner')]);
    fs.rmSync(host, { recursive: true, force: true });
  });
  fs.mkdirSync(path.join(host, 'data'));
  fs.writeFileSync(path.join(host, 'data', 'hello'), 'hello from the host\n');
  fs.writeFileSync(path.join(host, 'afile'), 'a file\n');
  // A tree with a sub-mount, for rbind and recursive attributes (host mount, not named tsrun).
  fs.mkdirSync(path.join(host, 'tree', 'inner'), { recursive: true });
  t.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(host, 'tree', 'inner')]).status, 0, 'host sub-mount');
  fs.writeFileSync(path.join(host, 'tree', 'inner', 'f'), 'inner\n');

  const rootfs = copyRootfs(t);
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.root.readonly = false;
    c.process.args = ['sh', '-c', [
      'cat /proc/self/mountinfo; echo ---END---',
      'echo rel=$(cat /mnt/rel/hello)',
      'echo file=$(cat /etc/afile)',
      'touch /mnt/rel/x 2>/dev/null && echo relw=yes || echo relw=no',
      'echo bindsub=$(ls /mnt/bind/inner | tr -d "\\n")',
      'echo rbindsub=$(cat /mnt/rbind/inner/f)',
      'touch /mnt/rbind/inner/x 2>/dev/null && echo rbindw=yes || echo rbindw=no',
      'touch /mnt/rbindro/inner/x 2>/dev/null && echo rbindrosub=yes || echo rbindrosub=no',
      'touch /mnt/rbindro/x 2>/dev/null && echo rbindrotop=yes || echo rbindrotop=no',
      'touch /mnt/rro/inner/x 2>/dev/null && echo rrosub=yes || echo rrosub=no',
      'touch /mnt/rro/x 2>/dev/null && echo rrotop=yes || echo rrotop=no',
    ].join('; ')];
    c.mounts.push(
      // config.md: a relative bind source is relative to the bundle.
      { destination: '/mnt/rel', type: 'bind', source: 'hostdata', options: ['bind', 'ro'] },
      { destination: '/etc/afile', type: 'bind', source: path.join(host, 'afile'), options: ['bind'] },
      { destination: '/mnt/bind', type: 'bind', source: path.join(host, 'tree'), options: ['bind'] },
      { destination: '/mnt/rbind', type: 'bind', source: path.join(host, 'tree'), options: ['rbind'] },
      { destination: '/mnt/rbindro', type: 'bind', source: path.join(host, 'tree'), options: ['rbind', 'ro'] },
      { destination: '/mnt/rro', type: 'bind', source: path.join(host, 'tree'), options: ['rbind', 'rro'] },
    );
  });
  fs.symlinkSync(path.join(host, 'data'), path.join(bundle, 'hostdata'));
  const r = tsrun(root, ['run', '-b', bundle, uniqueId('bind')]);
  t.equal(r.status, 0, r.stderr);
  const [mi, rest = ''] = r.stdout.split('---END---\n');
  const ms = parseMountinfo(mi);
  const v = Object.fromEntries(rest.trim().split('\n').map((l) => l.split('=') as [string, string]));
  t.equal(v.rel, 'hello from the host', 'relative source resolved against the bundle');
  t.ok(mountAt(ms, '/mnt/rel')?.opts.includes('ro'), 'bind with ro is remounted read-only');
  t.equal(v.relw, 'no', 'and cannot be written');
  t.equal(v.file, 'a file', 'a file can be bind mounted onto a file');
  t.equal(v.bindsub, '', 'a plain bind does not carry the sub-mount');
  t.notOk(mountAt(ms, '/mnt/bind/inner'), 'no sub-mount under a plain bind');
  t.equal(v.rbindsub, 'inner', 'rbind carries the sub-mount');
  t.ok(mountAt(ms, '/mnt/rbind/inner'), 'sub-mount under rbind');
  t.equal(v.rbindw, 'yes', 'rbind sub-mount is writable');
  t.equal(v.rbindrotop, 'no', 'rbind,ro: top is read-only');
  t.equal(v.rbindrosub, 'yes', 'rbind,ro: the sub-mount stays writable (ro is not recursive)');
  t.equal(v.rrotop, 'no', 'rro: top is read-only');
  t.equal(v.rrosub, 'no', 'rro: the sub-mount is read-only too (mount_setattr AT_RECURSIVE)');
  t.ok(mountAt(ms, '/mnt/rro/inner')?.opts.includes('ro'), 'rro sub-mount shows ro in mountinfo');
  t.equal(fs.readFileSync(path.join(host, 'tree', 'inner', 'f'), 'utf8'), 'inner\n', 'host sub-mount untouched');
  t.ok(fs.existsSync(path.join(host, 'tree', 'inner', 'x')), 'the writable rbind wrote through to the host (expected)');
  assertNoLeaks(t, root);
});

t.test('tmpfs data options, tmpcopyup, propagation options', { skip: skipReason }, async (t) => {
  const rootfs = copyRootfs(t);
  fs.mkdirSync(path.join(rootfs, 'seed', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'seed', 'a'), 'seeded\n');
  fs.writeFileSync(path.join(rootfs, 'seed', 'sub', 'b'), 'deep\n');
  fs.symlinkSync('a', path.join(rootfs, 'seed', 'link'));
  fs.mkdirSync(path.join(rootfs, 'plain'));
  fs.writeFileSync(path.join(rootfs, 'plain', 'hidden'), '');
  const p = probeMounts([
    'echo mode=$(stat -c %a /mnt/small)',
    'echo a=$(cat /seed/a); echo b=$(cat /seed/sub/b); echo link=$(readlink /seed/link)',
    'echo plain=$(ls /plain | wc -l)',
    'echo order=$(cat /ord/sub/a)',
  ].join('; '), (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.mounts.push(
      { destination: '/mnt/small', type: 'tmpfs', source: 'tmpfs', options: ['size=512k', 'mode=0710', 'nr_inodes=100'] },
      { destination: '/seed', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] },
      { destination: '/plain', type: 'tmpfs', source: 'tmpfs', options: [] },
      { destination: '/mnt/shared', type: 'tmpfs', source: 'tmpfs', options: ['shared'] },
      { destination: '/mnt/unbindable', type: 'tmpfs', source: 'tmpfs', options: ['unbindable'] },
      { destination: '/mnt/private', type: 'tmpfs', source: 'tmpfs', options: ['rprivate'] },
      // config.md: a relative destination (deprecated) is taken relative to "/".
      { destination: 'relative/dest', type: 'tmpfs', source: 'tmpfs', options: [] },
      // Array order: the bind lands inside the tmpfs mounted just before it.
      { destination: '/ord', type: 'tmpfs', source: 'tmpfs', options: [] },
      { destination: '/ord/sub', type: 'bind', source: path.join(rootfs, 'seed'), options: ['bind'] },
    );
  });
  t.equal(p.status, 0, p.stderr);
  const v = Object.fromEntries(p.rest.trim().split('\n').map((l) => l.split('=') as [string, string]));
  const small = mountAt(p.mounts, '/mnt/small');
  t.ok(small?.superOpts.includes('size=512k'), `size option applied (${small?.superOpts.join(',')})`);
  t.ok(small?.superOpts.includes('mode=710'), 'mode option applied');
  t.ok(small?.superOpts.includes('nr_inodes=100'), 'an option tsrun has no table entry for reaches mount(2) data');
  t.equal(v.mode, '710', 'the mount root has the mode');
  t.equal(mountAt(p.mounts, '/seed')?.fstype, 'tmpfs', 'tmpcopyup mounts a tmpfs');
  t.equal(v.a, 'seeded', 'tmpcopyup copied a file');
  t.equal(v.b, 'deep', 'and a subdirectory');
  t.equal(v.link, 'a', 'and a symlink as a symlink');
  t.equal(v.plain, '0', 'without tmpcopyup the tmpfs starts empty');
  t.ok(mountAt(p.mounts, '/mnt/shared')?.optional.some((o) => o.startsWith('shared:')), 'shared propagation');
  t.ok(mountAt(p.mounts, '/mnt/unbindable')?.optional.includes('unbindable'), 'unbindable propagation');
  t.same(mountAt(p.mounts, '/mnt/private')?.optional, [], 'private propagation: no peer group');
  t.equal(mountAt(p.mounts, '/relative/dest')?.fstype, 'tmpfs', 'a relative destination is mounted under /');
  t.ok(mountAt(p.mounts, '/ord') && mountAt(p.mounts, '/ord/sub'), 'both ordered mounts exist');
  const ordIdx = (mp: string) => p.mounts.findIndex((m) => m.mountPoint === mp);
  t.ok(ordIdx('/ord') < ordIdx('/ord/sub'), 'mounted in array order');
  t.equal(v.order, 'seeded', 'the bind is visible through the tmpfs mounted before it');
  t.equal(fs.readFileSync(path.join(rootfs, 'seed', 'a'), 'utf8'), 'seeded\n', 'the rootfs dir under the tmpfs is unchanged');
  assertNoLeaks(t, root);
});

t.test('rootfsPropagation', { skip: skipReason }, async (t) => {
  for (const [prop, check] of [
    ['shared', (o: string[]) => o.some((x) => x.startsWith('shared:'))],
    ['unbindable', (o: string[]) => o.includes('unbindable')],
    ['private', (o: string[]) => o.length === 0],
  ] as Array<[string, (o: string[]) => boolean]>) {
    const p = probeMounts('true', (c) => {
      quiet(c);
      c.linux.rootfsPropagation = prop;
    });
    t.equal(p.status, 0, p.stderr);
    const rootMount = mountAt(p.mounts, '/');
    t.ok(rootMount && check(rootMount.optional), `rootfsPropagation ${prop}: / shows ${JSON.stringify(rootMount?.optional)}`);
  }
  assertNoLeaks(t, root);
});

t.test('root.readonly', { skip: skipReason }, async (t) => {
  const ro = runScript(root, 'touch /x', quiet);
  t.not(ro.status, 0);
  t.match(ro.stderr, /Read-only file system/, 'touch / fails with EROFS');
  const rootfs = copyRootfs(t);
  const rw = runScript(root, 'touch /x && echo ok', (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.root.readonly = false;
  });
  t.equal(rw.stdout, 'ok\n', rw.stderr);
  t.ok(fs.existsSync(path.join(rootfs, 'x')), 'with readonly false the write reaches the rootfs');
  // Mounts made on a read-only root stay writable (root.readonly is only the root mount).
  const tmp = runScript(root, 'touch /dev/shm/x && echo ok', quiet);
  t.equal(tmp.stdout, 'ok\n', 'mounts under a read-only root keep their own flags');
  assertNoLeaks(t, root);
});

t.test('maskedPaths and readonlyPaths', { skip: skipReason }, async (t) => {
  const rootfs = copyRootfs(t);
  fs.mkdirSync(path.join(rootfs, 'secretdir'));
  fs.writeFileSync(path.join(rootfs, 'secretdir', 's'), 'secret');
  fs.writeFileSync(path.join(rootfs, 'secretfile'), 'secret');
  fs.mkdirSync(path.join(rootfs, 'rodir'));
  // The default masked paths that exist on this kernel (e.g. /proc/kcore needs CONFIG_PROC_KCORE).
  const defaults = ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
    '/proc/sched_debug', '/sys/firmware', '/proc/scsi'].filter((p) => fs.existsSync(p));
  t.ok(defaults.length > 0, `host has some of the default masked paths: ${defaults.join(' ')}`);
  const script = [
    ...defaults.map((p) => `echo "${p}=$(if [ -d ${p} ]; then ls -A ${p} | wc -l; else head -c 100 ${p} | wc -c; fi)"`),
    'echo /secretfile=$(cat /secretfile | wc -c)',
    'echo /secretdir=$(ls -A /secretdir | wc -l)',
    'touch /secretdir/x 2>/dev/null && echo maskw=yes || echo maskw=no',
    'echo procsys=$(echo 1 2>&1 > /proc/sys/kernel/domainname)',
    'touch /rodir/x 2>/dev/null && echo rodir=yes || echo rodir=no',
    'touch /tmp/x 2>/dev/null && echo tmp=yes || echo tmp=no',
  ].join('; ');
  const p = probeMounts(script, (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.root.readonly = false;
    c.linux.maskedPaths.push('/secretdir', '/secretfile', '/does/not/exist');
    c.linux.readonlyPaths.push('/rodir', '/no/such/path');
  });
  t.equal(p.status, 0, p.stderr);
  const v = Object.fromEntries(p.rest.trim().split('\n').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
  for (const d of defaults) t.equal(v[d], '0', `${d} is masked (empty)`);
  t.equal(v['/secretfile'], '0', 'a masked file reads as empty (/dev/null over it)');
  t.equal(v['/secretdir'], '0', 'a masked dir is empty (tmpfs over it)');
  t.equal(v.maskw, 'no', 'and read-only');
  t.match(v.procsys, /Read-only file system/, '/proc/sys is read-only');
  t.ok(mountAt(p.mounts, '/proc/sys')?.opts.includes('ro'), '/proc/sys mount is ro');
  t.equal(v.rodir, 'no', 'a readonlyPaths dir is read-only');
  t.ok(mountAt(p.mounts, '/rodir')?.opts.includes('ro'), '/rodir is a ro mount');
  t.equal(v.tmp, 'yes', 'other paths stay writable');
  t.equal(fs.readFileSync(path.join(rootfs, 'secretfile'), 'utf8'), 'secret', 'masking does not touch the file');
  assertNoLeaks(t, root);
});

t.test('/dev: default devices, links, pts, shm, linux.devices', { skip: skipReason }, async (t) => {
  const script = [
    // busybox stat: %t/%T are the major/minor in hex
    'for d in null zero full random urandom tty mine blk big; do echo "$d=$(stat -c "%F %t:%T %a %u:%g" /dev/$d)"; done',
    'echo fifo=$(stat -c "%F %a" /dev/sub/fifo)',
    'for l in fd stdin stdout stderr ptmx; do echo "$l=$(readlink /dev/$l)"; done',
    'echo pts=$(stat -c %F /dev/pts/ptmx)',
    'echo readzero=$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")',
    'echo writenull=$(echo hi > /dev/null && echo ok)',
    'echo writefull=$(echo hi 2>&1 > /dev/full)',
  ].join('; ');
  const p = probeMounts(script, (c) => {
    quiet(c);
    c.linux.devices = [
      { path: '/dev/mine', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1001 },
      { path: '/dev/blk', type: 'b', major: 7, minor: 200, fileMode: 0o600 },
      // minor > 255 and major > 255 use the high bits of dev_t (makedev(3))
      { path: '/dev/big', type: 'c', major: 300, minor: 70000, fileMode: 0o600 },
      { path: '/dev/sub/fifo', type: 'p', fileMode: 0o620 },
    ];
  });
  t.equal(p.status, 0, p.stderr);
  const v = Object.fromEntries(p.rest.trim().split('\n').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
  const want: Record<string, string> = {
    null: 'character special file 1:3 666 0:0',
    zero: 'character special file 1:5 666 0:0',
    full: 'character special file 1:7 666 0:0',
    random: 'character special file 1:8 666 0:0',
    urandom: 'character special file 1:9 666 0:0',
    tty: 'character special file 5:0 666 0:0',
    mine: 'character special file 1:3 640 1000:1001',
    blk: 'block special file 7:c8 600 0:0',
    big: 'character special file 12c:11170 600 0:0',
  };
  for (const [d, w] of Object.entries(want)) t.equal(v[d], w, `/dev/${d}`);
  t.equal(v.fifo, 'fifo 620', 'a fifo device in a new subdirectory');
  t.equal(v.fd, '/proc/self/fd');
  t.equal(v.stdin, '/proc/self/fd/0');
  t.equal(v.stdout, '/proc/self/fd/1');
  t.equal(v.stderr, '/proc/self/fd/2');
  t.equal(v.ptmx, 'pts/ptmx', '/dev/ptmx links to the devpts instance');
  t.equal(v.pts, 'character special file', '/dev/pts/ptmx exists');
  t.equal(v.readzero, '00000000', '/dev/zero reads zeros (the device cgroup allows it)');
  t.equal(v.writenull, 'ok');
  t.match(v.writefull, /No space left on device/, '/dev/full is the real full device');
  t.equal(mountAt(p.mounts, '/dev/pts')?.fstype, 'devpts');
  t.equal(mountAt(p.mounts, '/dev/shm')?.fstype, 'tmpfs');
  assertNoLeaks(t, root);
});

t.test('a device path that holds a different file fails create', { skip: skipReason }, async (t) => {
  const rootfs = copyRootfs(t);
  fs.writeFileSync(path.join(rootfs, 'notadev'), 'plain file');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.linux.devices = [{ path: '/notadev', type: 'c', major: 1, minor: 3 }];
  });
  const r = tsrun(root, ['create', '-b', bundle, uniqueId('devclash')]);
  assertCleanError(t, r, /\/notadev/);
  t.equal(fs.readFileSync(path.join(rootfs, 'notadev'), 'utf8'), 'plain file', 'the file is left as it was');
  // The same node already there (same type and numbers) is fine.
  const rootfs2 = copyRootfs(t);
  spawnSync('mknod', ['-m', '666', path.join(rootfs2, 'isadev'), 'c', '1', '3']);
  const ok = runScript(root, 'stat -c "%t:%T" /isadev', (c) => {
    quiet(c);
    c.root.path = rootfs2;
    c.linux.devices = [{ path: '/isadev', type: 'c', major: 1, minor: 3 }];
  });
  t.equal(ok.status, 0, ok.stderr);
  t.equal(ok.stdout, '1:3\n');
  assertNoLeaks(t, root);
});

t.test('sysctl in the container\'s network namespace', { skip: skipReason }, async (t) => {
  const before = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const want = before.trim() === '1' ? '0' : '1';
  const r = runScript(root, 'cat /proc/sys/net/ipv4/ip_forward', (c) => {
    quiet(c);
    c.linux.sysctl = { 'net.ipv4.ip_forward': want };
  });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), want, 'the value is set inside');
  t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), before, 'the host value is unchanged');
  const bad = bundleFor(t, (c) => {
    quiet(c);
    c.linux.sysctl = { 'net.ipv4.no_such_key': '1' };
  });
  assertCleanError(t, tsrun(root, ['create', '-b', bad, uniqueId('badsysctl')]), /no_such_key/);
  assertNoLeaks(t, root);
});

t.test('--no-pivot (MS_MOVE + chroot)', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', `echo pid=$$; ls /; [ -e ${REPO}/package.json ] && echo HOST-VISIBLE; true`];
  });
  const r = tsrun(root, ['run', '--no-pivot', '-b', bundle, uniqueId('nopivot')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^pid=1\n/);
  t.match(r.stdout, /\bbin\b[\s\S]*\bproc\b/, 'sees the container rootfs');
  t.notMatch(r.stdout, /HOST-VISIBLE/, 'the host root is not visible');
  assertNoLeaks(t, root);
});

t.test('CVE-2021-30465 class: symlinks in the rootfs never reach the host', { skip: skipReason }, async (t) => {
  const tag = `${process.pid}-${Date.now()}`;
  // Host paths a vulnerable runtime would write to. They exist (empty) on the host.
  const victimDir = `/tmp/victim-${tag}`;
  const victimDev = `/tmp/victim-dev-${tag}`;
  const victimFile = `/tmp/victim-file-${tag}`;
  const absentDir = `/tmp/victim-absent-${tag}`;
  fs.mkdirSync(victimDir);
  fs.mkdirSync(victimDev);
  fs.writeFileSync(victimFile, 'host file\n');
  t.teardown(() => {
    for (const p of [victimDir, victimDev, victimFile, absentDir]) fs.rmSync(p, { recursive: true, force: true });
  });
  const hostState = () => ({
    dir: fs.readdirSync(victimDir),
    dev: fs.readdirSync(victimDev),
    file: fs.readFileSync(victimFile, 'utf8'),
    absent: fs.existsSync(absentDir),
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes('victim')),
  });
  const clean = { dir: [], dev: [], file: 'host file\n', absent: false, mounts: [] };

  // 1. Directory mount through an absolute symlink whose target also exists inside the rootfs:
  //    the mount must land inside the rootfs.
  const rootfs = copyRootfs(t);
  fs.mkdirSync(path.join(rootfs, victimDir), { recursive: true });
  fs.mkdirSync(path.join(rootfs, victimDev), { recursive: true });
  fs.symlinkSync(victimDir, path.join(rootfs, 'evil'));
  // A relative link that climbs far above the root: RESOLVE_IN_ROOT clamps ".." at the root.
  fs.symlinkSync(`../../../../../../../..${victimDev}`, path.join(rootfs, 'evildev'));
  const p = probeMounts('ls /evil/x > /dev/null && echo mounted=yes; stat -c %t:%T /evildev/node', (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.mounts.push({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] });
    c.linux.devices = [{ path: '/evildev/node', type: 'c', major: 1, minor: 3 }];
  });
  t.equal(p.status, 0, p.stderr);
  t.same(hostState(), clean, 'nothing created or mounted on the host');
  t.ok(mountAt(p.mounts, `${victimDir}/x`), 'the tmpfs landed at the link target inside the rootfs');
  t.match(p.rest, /mounted=yes/);
  t.match(p.rest, /^1:3$/m, 'the device node was made inside the rootfs');
  t.ok(fs.existsSync(path.join(rootfs, victimDir, 'x')), 'mount point made in the rootfs copy');
  t.ok(fs.existsSync(path.join(rootfs, victimDev, 'node')), 'device node made in the rootfs copy');

  // 2. Dangling links (the target exists only on the host, or nowhere): create either fails or
  //    builds inside the rootfs; the host is never touched.
  const rootfs2 = copyRootfs(t);
  fs.symlinkSync(victimDir, path.join(rootfs2, 'evil'));
  fs.symlinkSync(victimDev, path.join(rootfs2, 'evildev'));
  fs.symlinkSync(absentDir, path.join(rootfs2, 'evilabsent'));
  fs.symlinkSync(victimFile, path.join(rootfs2, 'evilfile'));
  const cases: Array<[string, (c: any) => void]> = [
    ['tmpfs through a link to an existing host dir', (c) => c.mounts.push({ destination: '/evil/x', type: 'tmpfs', source: 'tmpfs' })],
    ['tmpfs onto the link itself', (c) => c.mounts.push({ destination: '/evil', type: 'tmpfs', source: 'tmpfs' })],
    ['tmpfs through a link to an absent host dir', (c) => c.mounts.push({ destination: '/evilabsent/x', type: 'tmpfs', source: 'tmpfs' })],
    ['bind through a link', (c) => c.mounts.push({ destination: '/evil/b', type: 'bind', source: '/etc', options: ['rbind'] })],
    ['file bind onto a link to a host file', (c) => c.mounts.push({ destination: '/evilfile', type: 'bind', source: '/etc/hostname', options: ['bind'] })],
    ['device node through a link', (c) => (c.linux.devices = [{ path: '/evildev/node', type: 'c', major: 1, minor: 3 }])],
    ['device node onto a link to a host file', (c) => (c.linux.devices = [{ path: '/evilfile', type: 'c', major: 1, minor: 3 }])],
  ];
  for (const [name, mutate] of cases) {
    const bundle = bundleFor(t, (c) => {
      quiet(c);
      c.root.path = rootfs2;
      c.process.args = ['sh', '-c', 'cat /proc/self/mountinfo'];
      mutate(c);
    });
    const id = uniqueId('cve');
    const r = tsrun(root, ['create', '-b', bundle, id]);
    if (r.status === 0) {
      // Created: it must have built inside the rootfs copy; check from the host while it exists.
      t.same(hostState(), clean, `${name}: created, host untouched`);
      t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
    } else {
      assertCleanError(t, r);
      t.same(hostState(), clean, `${name}: refused (${r.stderr.trim()}), host untouched`);
    }
  }
  t.same(hostState(), clean, 'host paths unchanged at the end');
  assertNoLeaks(t, root);
});

t.test('a mount whose destination resolves into /proc is refused (CVE-2019-19921 class)', {
  skip: skipReason,
}, async (t) => {
  const rootfs = copyRootfs(t);
  fs.symlinkSync('/proc', path.join(rootfs, 'volume'));
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.root.path = rootfs;
    // A "volume" the image redirected into /proc with a symlink.
    c.mounts.push({ destination: '/volume/sys', type: 'tmpfs', source: 'tmpfs' });
  });
  const r = tsrun(root, ['create', '-b', bundle, uniqueId('procmount')]);
  assertCleanError(t, r, /inside \/proc|\/proc/);
  assertNoLeaks(t, root);
});
