// CVE-2019-5736: a process that execs /proc/self/exe (directly, or as the interpreter of a
// "#!/proc/self/exe" script) while it still is a runtime stage gets the host's node binary, and
// could keep a handle to reopen it for writing once no node process runs on the host. Called in a
// fresh mount namespace, made a slave first so nothing propagates back: the binary is bind-mounted
// read-only onto itself there, so every path to it from that namespace, /proc/<pid>/exe of a
// process exec'd through it included, goes through a read-only mount and a write fails with EROFS.
// runc's fallback to its memfd clone uses the same idea (libcontainer/dmz, "ro bind").
import fs = require('node:fs');
import type { Sys } from '../sys/sys';
import { MS_BIND, MS_NODEV, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SLAVE } from '../sys/constants';

export function protectRuntimeBinary(sys: Sys): void {
  const exe = fs.realpathSync(process.execPath);
  sys.mount(null, '/', null, MS_SLAVE | MS_REC, null);
  sys.mount(exe, exe, null, MS_BIND, null);
  sys.mount(null, exe, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, null);
}
