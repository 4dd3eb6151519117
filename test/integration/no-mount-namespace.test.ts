// A config without a mount namespace (config-linux.md "Namespaces": a type not listed is inherited
// from the runtime), for real (root). The container shares the host's mount namespace: tsrun makes
// no mount at all and enters root.path with chroot. Checked: the process sees the rootfs as "/"
// (a marker file, busybox's /etc/passwd), with `run` and with create/start/exec/delete; hostname,
// sysctl, cgroups, seccomp, capabilities and hooks still apply; the host's mount table is the same
// before and after; every field that would need a mount is refused by name before anything is
// made (nothing in root.path/dev, no container, no mount).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, copyRootfs, makeStateRoot, pidsInCgroupOf, quiet, sharedDir,
  skipReason, stateOf, tsrun, uniqueId, type Result,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

type Json = any;

/** The host's mount table as a multiset: one "mount point, root, fs type, source, propagation" per line. */
function mountTable(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    return [f[4], f[3], f[sep + 1], f[sep + 2], f.slice(6, sep).join(',')].join(' ');
  }).sort();
}

/** Lines of `a` not matched one-for-one in `b` (multiset difference). */
function minus(a: string[], b: string[]): string[] {
  const left = [...b];
  return a.filter((x) => {
    const i = left.indexOf(x);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * Asserts that the host's mount table has not changed since `before`. Other people may mount and
 * unmount on this machine meanwhile (their own test suites), so a difference counts when its
 * mount point is what tsrun could have touched here: "/" (its propagation, a pivot or a move),
 * the node binary (the read-only bind of CVE-2019-5736), or anything under this test's
 * directories (the rootfs, the bundle, the state root). The whole difference is in the message.
 */
function assertSameMountTable(t: Test, before: string[], dirs: string[], what: string): void {
  const after = mountTable();
  const gone = minus(before, after).map((l) => `- ${l}`);
  const added = minus(after, before).map((l) => `+ ${l}`);
  const node = fs.realpathSync(process.execPath);
  const ours = (line: string): boolean => {
    const mp = line.slice(2).split(' ')[0];
    return mp === '/' || mp === node || [...dirs, root].some((d) => mp === d || mp.startsWith(d + '/'));
  };
  t.same([...gone, ...added].filter(ours), [], `${what}: the host's mount table is unchanged (whole difference: ${JSON.stringify([...gone, ...added])})`);
}

interface Box {
  rootfs: string;
  bundle: string;
  marker: string;
}

/**
 * A private copy of the busybox rootfs with an empty dev/ (the devices are made there: there is no
 * /dev mount) and a marker file, and a bundle whose config has no mount namespace and nothing
 * that would mount.
 */
function noMountNsBox(t: Test, mutate: (c: Json) => void = () => {}): Box {
  const rootfs = copyRootfs(t);
  fs.rmSync(path.join(rootfs, 'dev'), { recursive: true, force: true });
  fs.mkdirSync(path.join(rootfs, 'dev'), { mode: 0o755 });
  const marker = `marker-${process.pid}-${Date.now()}`;
  fs.writeFileSync(path.join(rootfs, 'marker'), `${marker}\n`);
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.root.path = rootfs;
    c.root.readonly = false;
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
    c.mounts = [];
    delete c.linux.maskedPaths;
    delete c.linux.readonlyPaths;
    mutate(c);
  });
  return { rootfs, bundle, marker };
}

function kv(out: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) o[line.slice(0, i)] = line.slice(i + 1);
  }
  return o;
}

const hostNs = (ns: string): string => fs.readlinkSync(`/proc/self/ns/${ns}`);

/** "c 1:3" for a character device, the type letter otherwise. */
function nodeOf(p: string): string {
  const st = fs.lstatSync(p, { bigint: true });
  if (!st.isCharacterDevice()) return st.isSymbolicLink() ? `l ${fs.readlinkSync(p)}` : 'other';
  const rdev = st.rdev;
  return `c ${Number((rdev >> 8n) & 0xfffn)}:${Number(rdev & 0xffn)}`;
}

t.test('run: the process sees root.path as "/", and nothing is mounted on the host', { skip: skipReason }, async (t) => {
  const before = mountTable();
  const box = noMountNsBox(t, (c) => {
    c.hostname = 'nomnt';
    c.process.args = ['sh', '-c', [
      'echo marker=$(cat /marker)', 'echo passwd=$(head -n 1 /etc/passwd)', 'echo host=$(hostname)', 'echo pid=$$',
      'echo cwd=$(pwd)', 'echo proc=$(ls -A /proc | wc -l)', 'echo null=$(echo x > /dev/null && echo ok)',
      'echo top=$(ls / | tr "\\n" " ")',
    ].join('; ')];
  });
  const r = tsrun(root, ['run', '--bundle', box.bundle, uniqueId('nm')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no warnings');
  const v = kv(r.stdout);
  t.equal(v.marker, box.marker, 'the marker file of this rootfs copy is /marker');
  t.equal(v.passwd, 'root:x:0:0:root:/root:/bin/sh', "/etc/passwd is the busybox rootfs's");
  t.equal((v.top ?? '').trim(), fs.readdirSync(box.rootfs).sort().join(' '), '"/" lists the rootfs copy');
  t.equal(v.host, 'nomnt', 'hostname (own UTS namespace)');
  t.equal(v.pid, '1', 'PID 1 of its own PID namespace');
  t.equal(v.cwd, '/');
  t.equal(v.proc, '0', '/proc is the rootfs\'s empty directory: nothing is mounted');
  t.equal(v.null, 'ok', '/dev/null is a device');
  // runtime-linux.md default devices and /dev links, made in root.path/dev itself.
  t.equal(nodeOf(path.join(box.rootfs, 'dev', 'null')), 'c 1:3');
  t.equal(nodeOf(path.join(box.rootfs, 'dev', 'urandom')), 'c 1:9');
  t.equal(nodeOf(path.join(box.rootfs, 'dev', 'fd')), 'l /proc/self/fd');
  assertSameMountTable(t, before, [box.rootfs, box.bundle], 'after run');
  assertNoLeaks(t, root);
});

t.test('create, start, exec, delete: namespaces, cgroup, seccomp, capabilities, sysctl, hooks', { skip: skipReason }, async (t) => {
  const before = mountTable();
  const shared = sharedDir(t);
  const box = noMountNsBox(t, (c) => {
    c.hostname = 'nomnt2';
    c.process.args = ['sleep', '60'];
    c.process.cwd = '/work/dir';
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.linux.resources = { ...c.linux.resources, pids: { limit: 42 } };
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    // createContainer: run by the init stage before the chroot (host paths); startContainer:
    // after it, inside root.path (busybox's /bin/sh, written into the rootfs copy).
    c.hooks = {
      createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${shared}/createRuntime`] }],
      createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${shared}/createContainer`] }],
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /startContainer'] }],
    };
  });
  const id = uniqueId('nm');
  const created = tsrun(root, ['create', '--bundle', box.bundle, id]);
  t.equal(created.status, 0, `create: ${created.stderr}`);
  t.equal(stateOf(root, id)?.status, 'created');
  t.equal(tsrun(root, ['start', id]).status, 0, 'start');
  const st = stateOf(root, id);
  t.equal(st?.status, 'running');
  const pid = Number(st?.pid);

  t.equal(fs.readlinkSync(`/proc/${pid}/root`), box.rootfs, 'its root is root.path (a chroot)');
  t.equal(fs.readlinkSync(`/proc/${pid}/cwd`), path.join(box.rootfs, 'work/dir'), 'cwd made and entered inside it');
  t.equal(fs.readlinkSync(`/proc/${pid}/ns/mnt`), hostNs('mnt'), 'the host\'s mount namespace, inherited');
  for (const ns of ['pid', 'uts', 'net', 'ipc']) t.not(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), hostNs(ns), `own ${ns} namespace`);
  t.ok(pidsInCgroupOf(id).includes(pid), 'in the container\'s cgroup');
  const pidsMax = `/sys/fs/cgroup/pids/tsrun/${id}/pids.max`;
  if (fs.existsSync(pidsMax)) t.equal(fs.readFileSync(pidsMax, 'utf8').trim(), '42', 'pids limit');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  t.match(status, /^Seccomp:\s+2$/m, 'seccomp filter mode');
  t.match(status, /^NoNewPrivs:\s+1$/m, 'no_new_privs');
  // runc's default set: CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
  t.match(status, /^CapEff:\s+0000000020000420$/m, 'capabilities');
  const sysctl = spawnSync('nsenter', ['-t', String(pid), '-n', 'cat', '/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' });
  t.equal(sysctl.stdout.trim(), '1', `net.ipv4.ip_forward in its network namespace (${sysctl.stderr})`);
  for (const phase of ['createRuntime', 'createContainer']) {
    t.match(fs.readFileSync(path.join(shared, phase), 'utf8'), `"id":"${id}"`, `${phase} hook ran with the state`);
  }
  t.match(fs.readFileSync(path.join(box.rootfs, 'startContainer'), 'utf8'), `"id":"${id}"`, 'startContainer hook ran inside root.path');

  // exec: the same root (runc's exec would run in the host's "/"), namespaces and filter.
  const ex: Result = tsrun(root, ['exec', id, 'sh', '-c', 'echo marker=$(cat /marker); echo host=$(hostname); echo cwd=$(pwd); echo top=$(ls / | tr "\\n" " "); mkdir /x 2>/dev/null; echo mkdir=$?']);
  t.equal(ex.status, 0, `exec: ${ex.stderr}`);
  const v = kv(ex.stdout);
  t.equal(v.marker, box.marker, 'exec: /marker of the rootfs copy');
  t.equal((v.top ?? '').trim(), fs.readdirSync(box.rootfs).sort().join(' '), 'exec: "/" is the rootfs copy, not the host\'s');
  t.equal(v.host, 'nomnt2', 'exec: in its UTS namespace');
  t.equal(v.cwd, '/work/dir', 'exec: process.cwd');
  t.equal(v.mkdir, '1', 'exec: under the container\'s seccomp filter');
  t.notOk(fs.existsSync(path.join(box.rootfs, 'x')), 'mkdir was denied');
  // runc's rules want --detach with --console-socket; the socket is never reached.
  const tty = tsrun(root, ['exec', '-t', '-d', '--console-socket', path.join(shared, 'no-socket'), id, 'true']);
  t.equal(tty.status, 255, 'exec -t fails as exec failures do');
  t.match(tty.stderr, /a terminal needs the container's own devpts, and this container has no mount namespace/, `exec -t: says why (${tty.stderr.trim()})`);

  t.equal(tsrun(root, ['delete', '--force', id]).status, 0, 'delete --force');
  t.equal(stateOf(root, id), undefined, 'gone');
  assertSameMountTable(t, before, [box.rootfs, box.bundle, shared], 'after create/start/exec/delete');
  assertNoLeaks(t, root);
});

t.test('each field that would mount on the host is refused by name, before anything is made', { skip: skipReason }, async (t) => {
  const HOST_TABLE = /would change the host's own mount table \(no mount namespace in linux\.namespaces\)$/;
  const cases: Array<[string, (c: Json, box: { rootfs: string }) => void, RegExp]> = [
    ['the default mounts', (c) => (c.mounts = [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/dev', type: 'tmpfs', source: 'tmpfs' }]), /^tsrun create: \/mounts\/0: mounting proc at \/proc /],
    ['a bind mount', (c, box) => (c.mounts = [{ destination: '/tmp', type: 'bind', source: box.rootfs, options: ['rbind'] }]), /^tsrun create: \/mounts\/0: mounting \/.* at \/tmp /],
    ['maskedPaths', (c) => (c.linux.maskedPaths = ['/proc/kcore']), /^tsrun create: \/linux\/maskedPaths: /],
    ['readonlyPaths', (c) => (c.linux.readonlyPaths = ['/proc/sys']), /^tsrun create: \/linux\/readonlyPaths: /],
    ['root.readonly', (c) => (c.root.readonly = true), /^tsrun create: \/root\/readonly: /],
    ['rootfsPropagation', (c) => (c.linux.rootfsPropagation = 'rslave'), /^tsrun create: \/linux\/rootfsPropagation: /],
    ['process.terminal', (c) => (c.process.terminal = true), /^tsrun create: \/process\/terminal: binding the pty onto \/dev\/console/],
  ];
  const before = mountTable();
  const dirs: string[] = [];
  for (const [what, change, re] of cases) {
    const box = noMountNsBox(t, (c) => change(c, { rootfs: c.root.path }));
    dirs.push(box.rootfs, box.bundle);
    const id = uniqueId('nmf');
    const r = tsrun(root, ['create', '--bundle', box.bundle, id]);
    assertCleanError(t, r, re);
    t.match(r.stderr.trim(), HOST_TABLE, `${what}: the reason`);
    t.same(fs.readdirSync(path.join(box.rootfs, 'dev')), [], `${what}: nothing made in root.path/dev`);
    t.equal(stateOf(root, id), undefined, `${what}: no container`);
    assertNoLeaks(t, root, `${what}: nothing left behind`);
  }
  // The runtime's own mount namespace joined by path is no namespace of the container's either.
  const box = noMountNsBox(t, (c) => c.linux.namespaces.push({ type: 'mount', path: '/proc/self/ns/mnt' }));
  const r = tsrun(root, ['create', '--bundle', box.bundle, uniqueId('nmf')]);
  assertCleanError(t, r, /^tsrun create: \/linux\/namespaces\/\d+\/path: \/proc\/self\/ns\/mnt is the runtime's own mount namespace/);
  t.same(fs.readdirSync(path.join(box.rootfs, 'dev')), [], 'joined host namespace: nothing made in root.path/dev');
  assertNoLeaks(t, root);
  assertSameMountTable(t, before, [...dirs, box.rootfs, box.bundle], 'after the refusals');
});
