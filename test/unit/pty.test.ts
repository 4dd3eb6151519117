// src/linux/pty.ts, src/sys/tty.ts and the fd passing of src/sys/unix-socket.ts on the host's own
// devpts (no root needed: /dev/ptmx is world-writable), plus runc's console-socket rules.
import fs from 'node:fs';
import t from 'tap';
import { majorMinor, openPtyPair, setWindowSize } from '../../src/linux/pty';
import { libcSys } from '../../src/sys/libc-sys';
import * as tty from '../../src/sys/tty';
import { parseRights, recvFd, scmRights, sendFd, socketPair } from '../../src/sys/unix-socket';
import { checkTerminal } from '../../src/container/terminal-rules';

const havePtmx = (() => {
  try {
    fs.closeSync(fs.openSync('/dev/ptmx', 'r+'));
    return true;
  } catch {
    return false;
  }
})();
const skip = havePtmx ? false : 'no usable /dev/ptmx';

/** Is FD_CLOEXEC set on our fd? (/proc/self/fdinfo "flags" is octal and includes O_CLOEXEC). */
function cloexec(fd: number): boolean {
  const m = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return m !== null && (parseInt(m[1], 8) & 0o2000000) !== 0;
}

t.test('openPtyPair: an unlocked pair, the slave reached through the master', { skip }, async (t) => {
  const p = openPtyPair(libcSys, '/');
  t.teardown(() => [p.master, p.slave].forEach((fd) => fs.closeSync(fd)));
  t.ok(tty.isatty(p.master) && tty.isatty(p.slave), 'both ends are terminals');
  t.equal(fs.readlinkSync(`/proc/self/fd/${p.slave}`), `/dev/pts/${p.index}`, 'slave is /dev/pts/<index>');
  t.equal(tty.ptyNumber(p.master), p.index);
  const [major] = majorMinor(fs.fstatSync(p.slave, { bigint: true }).rdev);
  t.ok(major >= 136 && major <= 143, `slave major ${major} is a Unix98 pty`);
  // O_CLOEXEC on both: nothing else may inherit the container's terminal by accident.
  for (const fd of [p.master, p.slave]) {
    t.ok(cloexec(fd), `fd ${fd} is close-on-exec`);
  }
  fs.writeSync(p.slave, 'ping\n');
  const buf = Buffer.alloc(64);
  const n = fs.readSync(p.master, buf);
  t.equal(buf.subarray(0, n).toString(), 'ping\r\n', 'data flows slave -> master through a line discipline (ONLCR)');
});

t.test('openPtyPair refuses a /dev/ptmx that is not the pty multiplexer', { skip }, async (t) => {
  const dir = fs.mkdtempSync('/tmp/tsrun-ptytest-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(`${dir}/dev`);
  fs.symlinkSync('/dev/null', `${dir}/dev/ptmx`);
  // RESOLVE_IN_ROOT: the absolute link target resolves inside dir, where there is no /dev/null.
  t.throws(() => openPtyPair(libcSys, dir), /ENOENT/, 'a link out of the root stays in the root');
  fs.rmSync(`${dir}/dev/ptmx`);
  fs.writeFileSync(`${dir}/dev/ptmx`, '');
  t.throws(() => openPtyPair(libcSys, dir), /not a pty device|ENXIO|EINVAL/, 'a regular file is refused');
});

t.test('window size: set on either end, read on the other', { skip }, async (t) => {
  const p = openPtyPair(libcSys, '/');
  t.teardown(() => [p.master, p.slave].forEach((fd) => fs.closeSync(fd)));
  setWindowSize(p.master, 33, 111);
  t.same(tty.getWinsize(p.slave), { rows: 33, cols: 111 });
  setWindowSize(p.slave, 65535, 1);
  t.same(tty.getWinsize(p.master), { rows: 65535, cols: 1 }, 'unsigned short range');
});

t.test('raw mode clears ICANON/ECHO/OPOST and restores exactly', { skip }, async (t) => {
  const p = openPtyPair(libcSys, '/');
  t.teardown(() => [p.master, p.slave].forEach((fd) => fs.closeSync(fd)));
  const saved = tty.makeRaw(p.slave);
  fs.writeSync(p.slave, 'a\nb');
  const buf = Buffer.alloc(16);
  t.equal(buf.subarray(0, fs.readSync(p.master, buf)).toString(), 'a\nb', 'no ONLCR in raw mode');
  tty.restoreTermios(p.slave, saved);
  fs.writeSync(p.slave, '\n');
  t.equal(buf.subarray(0, fs.readSync(p.master, buf)).toString(), '\r\n', 'ONLCR back after restore');
});

t.test('sendFd/recvFd: one message, the name as body, one fd, close-on-exec', async (t) => {
  const [a, b] = socketPair();
  t.teardown(() => [a, b].forEach((fd) => fs.closeSync(fd)));
  const file = fs.openSync('/proc/self/status', 'r');
  sendFd(a, file, '/dev/ptmx');
  fs.closeSync(file);
  const got = recvFd(b);
  t.equal(got.name, '/dev/ptmx');
  t.match(fs.readFileSync(`/proc/self/fd/${got.fd}`, 'utf8'), /^Name:/, 'the same open file');
  t.ok(cloexec(got.fd), 'MSG_CMSG_CLOEXEC');
  fs.closeSync(got.fd);
  t.throws(() => sendFd(a, 0, ''), /EINVAL/, 'an empty body could not be told from EOF');
  fs.writeSync(a, 'x');
  t.throws(() => recvFd(b), /expected one fd, got 0/, 'a message without an fd');
});

t.test('recvFd: EOF before an fd is an error, not a hang', async (t) => {
  const [a, b] = socketPair();
  fs.closeSync(a);
  t.throws(() => recvFd(b), /connection closed before an fd was sent/);
  fs.closeSync(b);
});

t.test('parseRights walks cmsg headers', async (t) => {
  const one = scmRights([7]);
  t.same(parseRights(one, one.length), [7]);
  const two = Buffer.concat([scmRights([3, 4]), scmRights([9])]);
  t.same(parseRights(two, two.length), [3, 4, 9]);
  t.same(parseRights(two, 8), [], 'a truncated header yields nothing');
});

t.test("runc's checkTerminal rules, word for word", async (t) => {
  const detachNoSocket = /^cannot allocate tty if runc will detach without setting console socket$/;
  const socketUnused = /^cannot use console socket if runc will not detach or allocate tty$/;
  t.throws(() => checkTerminal(true, true, undefined), detachNoSocket, 'create/run -d + terminal needs a socket');
  t.doesNotThrow(() => checkTerminal(true, true, '/s'), 'create + terminal + socket');
  t.doesNotThrow(() => checkTerminal(true, false, undefined), 'foreground run relays itself');
  t.doesNotThrow(() => checkTerminal(false, true, undefined));
  t.doesNotThrow(() => checkTerminal(false, false, undefined));
  t.throws(() => checkTerminal(false, true, '/s'), socketUnused, 'socket without terminal');
  t.throws(() => checkTerminal(true, false, '/s'), socketUnused, 'socket in the foreground');
  t.throws(() => checkTerminal(false, false, '/s'), socketUnused);
});
