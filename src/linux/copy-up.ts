// tmpcopyup (a runtime-spec MAY option, from crun/runc): a new tmpfs starts with the contents of
// the directory it covers. The copy keeps what a container relies on: owner, mode (setuid bits
// included), timestamps, symlinks verbatim, and device nodes / fifos / sockets recreated with
// mknod rather than read as files. The mount root itself takes the old directory's owner and mode.
import fs = require('node:fs');
import type { Sys } from '../sys/sys';
import { AT_FDCWD, S_IFMT, S_IFREG, S_IFDIR, S_IFLNK } from '../sys/constants';

function copyAttrs(to: string, st: fs.Stats): void {
  fs.lchownSync(to, st.uid, st.gid);
  // chown clears setuid/setgid bits, so the mode goes after it.
  fs.chmodSync(to, st.mode & 0o7777);
  fs.utimesSync(to, st.atime, st.mtime);
}

function copyEntry(sys: Sys, from: string, to: string): void {
  const st = fs.lstatSync(from);
  const type = st.mode & S_IFMT;
  if (type === S_IFDIR) {
    fs.mkdirSync(to, { mode: 0o700 });
    for (const name of fs.readdirSync(from)) copyEntry(sys, `${from}/${name}`, `${to}/${name}`);
    copyAttrs(to, st);
  } else if (type === S_IFREG) {
    fs.copyFileSync(from, to);
    copyAttrs(to, st);
  } else if (type === S_IFLNK) {
    fs.symlinkSync(fs.readlinkSync(from), to);
    fs.lchownSync(to, st.uid, st.gid);
  } else {
    // char/block devices, fifos, sockets: recreate the node, never open it.
    sys.mknodat(AT_FDCWD, to, st.mode, BigInt(st.rdev), to);
    copyAttrs(to, st);
  }
}

/**
 * Copies the contents of `from` (the covered directory) into `to` (the new mount's root). The root
 * takes the old directory's owner, and its mode too unless the mount options set one (mode=...).
 */
export function copyUp(sys: Sys, from: string, to: string, keepRootMode: boolean): void {
  for (const name of fs.readdirSync(from)) copyEntry(sys, `${from}/${name}`, `${to}/${name}`);
  const st = fs.statSync(from);
  fs.chownSync(to, st.uid, st.gid);
  if (!keepRootMode) fs.chmodSync(to, st.mode & 0o7777);
}
