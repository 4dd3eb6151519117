// Tests src/spec/rootfs-tar.ts with tarballs made by the system's GNU tar in a temp dir, the way
// `docker export` writes them (a plain tar of a filesystem, no leading "./" needed).
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { unpackRootfsTar } from '../../src/spec/rootfs-tar';
import { RuntimeError } from '../../src/errors';

const isRoot = process.getuid?.() === 0;

/** A small filesystem tree with the cases that matter: a file, a symlink, odd modes. */
function makeTree(dir: string): void {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'etc'));
  mkdirSync(path.join(dir, 'tmp'));
  mkdirSync(path.join(dir, 'proc'));
  writeFileSync(path.join(dir, 'etc', 'hostname'), 'from-the-tarball\n');
  writeFileSync(path.join(dir, 'bin', 'tool'), '#!/bin/sh\necho tool\n');
  writeFileSync(path.join(dir, 'bin', 'open'), 'x');
  writeFileSync(path.join(dir, 'bin', 'suid'), 'x');
  symlinkSync('tool', path.join(dir, 'bin', 'alias'));
  symlinkSync('/etc/hostname', path.join(dir, 'etc', 'abs-link'));
  // chmod after creation: the test process umask must not decide these modes.
  chmodSync(path.join(dir, 'bin', 'tool'), 0o750);
  chmodSync(path.join(dir, 'bin', 'open'), 0o777); // the umask would drop g+w,o+w
  chmodSync(path.join(dir, 'bin', 'suid'), 0o4755);
  chmodSync(path.join(dir, 'tmp'), 0o1777);
  chmodSync(path.join(dir, 'proc'), 0o555); // node-tar forces u+rwx on directories it creates
}

/** Builds the tree under dir/src and archives it as dir/name. */
function makeTarball(dir: string, flags: string[], name: string): string {
  const src = path.join(dir, 'src');
  makeTree(src);
  const file = path.join(dir, name);
  // Listing the top-level names (not ".") gives "bin/tool"-style entries, as docker export does.
  execFileSync('tar', [...flags, '-f', file, '-C', src, '--owner=0', '--group=0', 'bin', 'etc', 'tmp', 'proc']);
  return file;
}

function modeOf(p: string): number {
  return lstatSync(p).mode & 0o7777;
}

function checkTree(t: Test, rootfs: string): void {
  t.equal(readFileSync(path.join(rootfs, 'etc', 'hostname'), 'utf8'), 'from-the-tarball\n', 'file content');
  t.ok(lstatSync(path.join(rootfs, 'bin', 'alias')).isSymbolicLink(), 'symlink kept as a symlink');
  t.equal(readlinkSync(path.join(rootfs, 'bin', 'alias')), 'tool', 'relative symlink target');
  t.equal(readlinkSync(path.join(rootfs, 'etc', 'abs-link')), '/etc/hostname', 'absolute symlink target unchanged');
  t.equal(modeOf(path.join(rootfs, 'bin', 'tool')), 0o750, 'file mode');
  t.equal(modeOf(path.join(rootfs, 'bin', 'open')), 0o777, 'mode not masked by the umask');
  t.equal(modeOf(path.join(rootfs, 'bin', 'suid')), 0o4755, 'setuid bit kept');
  t.equal(modeOf(path.join(rootfs, 'tmp')), 0o1777, 'sticky directory');
  t.equal(modeOf(path.join(rootfs, 'proc')), 0o555, 'read-only directory mode');
}

t.test('unpacks a plain tar into a new directory', async (t) => {
  const dir = t.testdir({});
  const file = makeTarball(dir, ['-c'], 'rootfs.tar');
  const rootfs = path.join(dir, 'bundle', 'rootfs');
  await unpackRootfsTar(file, rootfs);
  checkTree(t, rootfs);
});

t.test('unpacks a gzipped tar into an existing empty directory', async (t) => {
  const dir = t.testdir({ rootfs: {} });
  const file = makeTarball(dir, ['-cz'], 'rootfs.tar.gz');
  const rootfs = path.join(dir, 'rootfs');
  await unpackRootfsTar(file, rootfs);
  checkTree(t, rootfs);
});

t.test('keeps owners, and setuid bits on files it had to chown', { skip: !isRoot && 'needs root to chown' }, async (t) => {
  const dir = t.testdir({});
  mkdirSync(path.join(dir, 'src', 'home'), { recursive: true });
  writeFileSync(path.join(dir, 'src', 'home', 'owned'), 'x');
  chmodSync(path.join(dir, 'src', 'home', 'owned'), 0o6755);
  const file = path.join(dir, 'owned.tar');
  execFileSync('tar', ['-cf', file, '-C', path.join(dir, 'src'), '--owner=1000', '--group=1001', '--numeric-owner', 'home']);
  const rootfs = path.join(dir, 'rootfs');
  await unpackRootfsTar(file, rootfs);
  const st = lstatSync(path.join(rootfs, 'home', 'owned'));
  t.equal(st.uid, 1000);
  t.equal(st.gid, 1001);
  // chown(2) clears setuid/setgid, so this fails unless the modes are re-applied afterwards.
  t.equal(st.mode & 0o7777, 0o6755);
  t.equal(lstatSync(path.join(rootfs, 'home')).uid, 1000, 'directory owner');
});

t.test('refuses a non-empty target and leaves it alone', async (t) => {
  const dir = t.testdir({ rootfs: { 'keep-me': 'precious' } });
  const file = makeTarball(dir, ['-c'], 'rootfs.tar');
  const rootfs = path.join(dir, 'rootfs');
  await t.rejects(unpackRootfsTar(file, rootfs), /is not empty\. Remove it first/);
  t.equal(readFileSync(path.join(rootfs, 'keep-me'), 'utf8'), 'precious');
  t.notOk(existsSync(path.join(rootfs, 'bin')), 'nothing unpacked');
});

t.test('refuses a target that is a file, and a missing tarball', async (t) => {
  const dir = t.testdir({ plain: 'x' });
  const file = makeTarball(dir, ['-c'], 'rootfs.tar');
  await t.rejects(unpackRootfsTar(file, path.join(dir, 'plain')), /is not a directory/);
  await t.rejects(unpackRootfsTar(path.join(dir, 'missing.tar'), path.join(dir, 'r')), RuntimeError);
});

t.test('refuses a file that is not a tar archive', async (t) => {
  const dir = t.testdir({ 'junk.tar': 'this is not a tar archive '.repeat(100) });
  await t.rejects(unpackRootfsTar(path.join(dir, 'junk.tar'), path.join(dir, 'rootfs')), RuntimeError);
});

t.test('refuses entries that climb out of the rootfs', async (t) => {
  const dir = t.testdir({ inner: {}, 'escape.txt': 'outside' });
  const file = path.join(dir, 'evil.tar');
  // -P keeps the leading "../" in the stored name.
  execFileSync('tar', ['-cPf', file, '-C', path.join(dir, 'inner'), '../escape.txt']);
  const work = path.join(dir, 'work');
  mkdirSync(work);
  const rootfs = path.join(work, 'rootfs');
  mkdirSync(rootfs);
  await t.rejects(unpackRootfsTar(file, rootfs), /\.\./);
  t.notOk(existsSync(path.join(work, 'escape.txt')), 'nothing written next to the rootfs');
  t.same(readdirSync(rootfs), [], 'an existing empty target is left empty');
});

t.test('keeps symlink chains and absolute targets that node-tar alone would refuse', async (t) => {
  const dir = t.testdir({ src: { etc: { alternatives: {} }, usr: { bin: { mawk: 'awk' } } } });
  const src = path.join(dir, 'src');
  symlinkSync('/usr/bin/mawk', path.join(src, 'etc', 'alternatives', 'awk'));
  symlinkSync('/etc/alternatives/awk', path.join(src, 'usr', 'bin', 'awk'));
  symlinkSync('usr/lib', path.join(src, 'lib'));
  symlinkSync('../../../outside/of/the/tree', path.join(src, 'usr', 'bin', 'dangling'));
  const file = path.join(dir, 'chain.tar');
  execFileSync('tar', ['-cf', file, '-C', src, 'etc', 'lib', 'usr']);
  const rootfs = path.join(dir, 'rootfs');
  await unpackRootfsTar(file, rootfs);
  t.equal(readlinkSync(path.join(rootfs, 'usr', 'bin', 'awk')), '/etc/alternatives/awk');
  t.equal(readlinkSync(path.join(rootfs, 'etc', 'alternatives', 'awk')), '/usr/bin/mawk');
  t.equal(readlinkSync(path.join(rootfs, 'lib')), 'usr/lib');
  t.equal(readlinkSync(path.join(rootfs, 'usr', 'bin', 'dangling')), '../../../outside/of/the/tree');
  t.equal(readFileSync(path.join(rootfs, 'usr', 'bin', 'mawk'), 'utf8'), 'awk');
});

t.test('a later entry replaces an earlier one at the same path', async (t) => {
  const dir = t.testdir({ a: { x: 'file-a', y: {} }, b: { y: {} } });
  symlinkSync('/target-b', path.join(dir, 'b', 'x')); // x: file, then symlink
  writeFileSync(path.join(dir, 'b', 'y', 'z'), 'file-b'); // y/z: symlink, then file
  symlinkSync('/target-a', path.join(dir, 'a', 'y', 'z'));
  const file = path.join(dir, 'layers.tar');
  execFileSync('tar', ['-cf', file, '-C', path.join(dir, 'a'), 'x', 'y/z']);
  execFileSync('tar', ['-rf', file, '-C', path.join(dir, 'b'), 'x', 'y/z']);
  const rootfs = path.join(dir, 'rootfs');
  await unpackRootfsTar(file, rootfs);
  t.equal(readlinkSync(path.join(rootfs, 'x')), '/target-b');
  t.ok(lstatSync(path.join(rootfs, 'y', 'z')).isFile());
  t.equal(readFileSync(path.join(rootfs, 'y', 'z'), 'utf8'), 'file-b');
});

t.test('never writes through a symlink that leaves the rootfs', async (t) => {
  const dir = t.testdir({ host: {}, a: {}, b: { lib: {} } });
  const host = path.join(dir, 'host'); // stands for a host directory such as /usr/lib
  symlinkSync(host, path.join(dir, 'a', 'lib'));
  symlinkSync('/whatever', path.join(dir, 'b', 'lib', 'evil-link'));
  writeFileSync(path.join(dir, 'b', 'lib', 'evil-file'), 'x');
  const viaLink = path.join(dir, 'link.tar');
  execFileSync('tar', ['-cf', viaLink, '-C', path.join(dir, 'a'), 'lib']);
  const viaFile = path.join(dir, 'file.tar');
  execFileSync('tar', ['-cf', viaFile, '-C', path.join(dir, 'a'), 'lib']);
  execFileSync('tar', ['-rf', viaLink, '-C', path.join(dir, 'b'), 'lib/evil-link']);
  execFileSync('tar', ['-rf', viaFile, '-C', path.join(dir, 'b'), 'lib/evil-file']);
  await t.rejects(unpackRootfsTar(viaLink, path.join(dir, 'r1')), /outside the rootfs/);
  await t.rejects(unpackRootfsTar(viaFile, path.join(dir, 'r2')), /directory of the same name exists/);
  t.same(readdirSync(host), [], 'nothing written into the host directory');
  t.notOk(existsSync(path.join(dir, 'r1')), 'a failed unpack removes what it created');
  t.notOk(existsSync(path.join(dir, 'r2')));
});
