// Unpacks a root filesystem tarball (`docker export` / `podman export` output, optionally gzipped)
// into a bundle's rootfs directory, for `tsrun spec --rootfs-tar`.
//
// This module imports the `tar` package at top level, so it must itself be loaded lazily
// (`await import(...)`) by its only caller: every tsrun command is a fresh Node process and most
// never need tar.
//
// What is kept: regular files, directories, symlinks (targets verbatim, absolute or not) and hard
// links, with the archive's modes (including setuid/setgid/sticky) and, when running as root, its
// owners. What is not: device nodes and FIFOs (the runtime builds /dev at create time:
// config-linux.md "Default Devices"), and extended attributes, so file capabilities
// (security.capability) are lost. Nothing is ever written outside the rootfs: entries with ".."
// are refused, and no path is followed through a symlink that leaves the rootfs.
import { promises as fsp } from 'node:fs';
import path = require('node:path');
import * as tar from 'tar';
import { RuntimeError } from '../errors';

// node-tar warning codes that do not make the rootfs wrong: "stripping / from absolute path"
// (a rootfs archive's "/etc/passwd" means rootfs/etc/passwd) and skipped device nodes and FIFOs.
const INFO_WARNING = 'TAR_ENTRY_INFO';
const SKIPPED_WARNING = 'TAR_ENTRY_UNSUPPORTED';

/** Entry types whose mode we re-apply after extraction (see fixModes). */
const MODE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'GNUDumpDir']);

/**
 * Extracts `tarFile` (plain or gzip-compressed tar; compression is detected from the content) into
 * `rootfsDir`, which must be missing or empty. Skipped entries (device nodes, FIFOs) are reported
 * to `onWarn`; any other problem (unreadable archive, refused entry, failed chown) is a RuntimeError.
 */
export async function unpackRootfsTar(
  tarFile: string,
  rootfsDir: string,
  onWarn: (message: string) => void = () => {},
): Promise<void> {
  const archive = path.resolve(tarFile);
  const target = path.resolve(rootfsDir);
  await checkArchive(archive);
  const created = await prepareTarget(target);
  try {
    await extractInto(archive, target, onWarn);
  } catch (err) {
    // The directory was missing or empty, so everything in it is ours: leave it as it was, so that
    // a retry does not trip over "not empty". fs.rm unlinks symlinks, it never follows them.
    // Best effort: the unpack error is the one worth reporting.
    const leftovers = await fsp.readdir(target).catch(() => []);
    await Promise.all(leftovers.map((name) => fsp.rm(path.join(target, name), { recursive: true, force: true }).catch(() => {})));
    if (created) await fsp.rmdir(target).catch(() => {});
    throw err;
  }
}

async function extractInto(archive: string, target: string, onWarn: (message: string) => void): Promise<void> {
  const problems: string[] = [];
  const modes = new Map<string, number>();
  const symlinks = new Map<string, DeferredSymlink>();
  // node-tar only creates files/dirs with the mode masked by the umask, forces u+rwx on every
  // directory it makes, and chowns after writing, which clears setuid/setgid bits (chown(2)). We
  // record each entry's mode and set it exactly once everything is written, as GNU tar -p does.
  //
  // Symlinks are kept out of node-tar altogether: it strips the leading "/" from absolute targets
  // and refuses links whose target passes through another symlink, which a real image is full of
  // (/usr/bin/awk -> /etc/alternatives/awk -> ...). A bonus: while node-tar runs, the tree holds no
  // symlink at all, so no entry can be written through one. They are created afterwards.
  const isRoot = process.getuid?.() === 0;
  try {
    await tar.x({
      file: archive,
      cwd: target,
      // Owners only mean something when we can set them; as non-root, chown would fail on every
      // entry not owned by us.
      preserveOwner: isRoot,
      // Never honour absolute paths or ".." (node-tar's default, spelled out because it is the
      // guard against archives that write outside the rootfs).
      preservePaths: false,
      // Called once per entry, in archive order, before extraction: the place to keep the order of
      // "a later entry replaces an earlier one at the same path" right.
      filter: (_path, entry) => {
        if (!('type' in entry)) return true; // a fs.Stats: only when creating archives
        const rel = entryPath(entry.path);
        if (entry.type === 'SymbolicLink') {
          if (rel === null || rel === '.') {
            problems.push(`TAR_ENTRY_ERROR: refusing symlink entry ${entry.path}`);
            return false;
          }
          symlinks.delete(rel); // re-insert: creation follows the archive order
          symlinks.set(rel, { target: String(entry.linkpath ?? ''), uid: entry.uid, gid: entry.gid, mtime: entry.mtime });
          return false;
        }
        if (rel !== null) {
          symlinks.delete(rel);
          if (typeof entry.mode === 'number' && MODE_TYPES.has(entry.type)) modes.set(rel, entry.mode & 0o7777);
        }
        return true;
      },
      onwarn: (code, message, data) => {
        const entry = data.entry as { path?: unknown } | undefined;
        const text = entry?.path ? `${message} (${String(entry.path)})` : message;
        if (code === SKIPPED_WARNING) onWarn(text);
        else if (code !== INFO_WARNING) problems.push(`${code}: ${text}`);
      },
    });
  } catch (err) {
    throw new RuntimeError('rootfs-tar', `cannot unpack ${archive}: ${(err as Error).message}`, { cause: err });
  }
  if (problems.length === 0) {
    const realTarget = await fsp.realpath(target);
    await createSymlinks(realTarget, symlinks, isRoot, problems);
    await fixModes(realTarget, modes);
  }
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new RuntimeError('rootfs-tar', `cannot unpack ${archive} into ${target}: ${problems.slice(0, 5).join('; ')}${more}`);
  }
}

interface DeferredSymlink {
  target: string;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

/** An archive path made relative to the rootfs ("/a//b/" -> "a/b"), or null if it climbs out. */
function entryPath(p: string): string | null {
  const rel = path.posix.normalize(p.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../')) return null;
  return rel;
}

/**
 * Resolves `rel` under the rootfs for creating or changing it, refusing when its parent directory
 * is not really inside the rootfs (an earlier absolute symlink such as "lib -> /usr/lib" would
 * otherwise send us to the host). Missing parents are created, as tar does.
 */
async function safeTarget(realTarget: string, rel: string, createParents: boolean): Promise<string | null> {
  const abs = path.join(realTarget, rel);
  if (abs === realTarget) return abs;
  const dir = path.dirname(abs);
  if (createParents) {
    const inside = await insideRootfs(realTarget, dir);
    if (inside === false) return null;
    if (inside === undefined) {
      await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
      if ((await insideRootfs(realTarget, dir)) !== true) return null;
    }
  } else if ((await insideRootfs(realTarget, dir)) !== true) {
    return null;
  }
  return abs;
}

/** true/false: whether `dir` resolves inside the rootfs; undefined: some part is missing. */
async function insideRootfs(realTarget: string, dir: string): Promise<boolean | undefined> {
  let real: string;
  try {
    real = await fsp.realpath(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // Decide on the deepest existing ancestor: mkdir -p would follow it.
      const parent = path.dirname(dir);
      if (parent === dir) return false;
      const up = await insideRootfs(realTarget, parent);
      return up === false ? false : undefined;
    }
    throw err;
  }
  return real === realTarget || real.startsWith(realTarget + path.sep);
}

/** Creates the deferred symlinks, replacing a file that an earlier entry left at the same path. */
async function createSymlinks(
  realTarget: string,
  symlinks: Map<string, DeferredSymlink>,
  isRoot: boolean,
  problems: string[],
): Promise<void> {
  for (const [rel, link] of symlinks) {
    const abs = await safeTarget(realTarget, rel, true);
    if (abs === null) {
      problems.push(`TAR_ENTRY_ERROR: symlink ${rel} would be created outside the rootfs`);
      continue;
    }
    try {
      const st = await fsp.lstat(abs).catch(() => null);
      if (st?.isDirectory()) {
        problems.push(`TAR_ENTRY_ERROR: symlink ${rel}: a directory of the same name exists`);
        continue;
      }
      if (st) await fsp.unlink(abs);
      await fsp.symlink(link.target, abs);
      if (isRoot && typeof link.uid === 'number' && typeof link.gid === 'number') await fsp.lchown(abs, link.uid, link.gid);
      if (link.mtime) await fsp.lutimes(abs, link.mtime, link.mtime);
    } catch (err) {
      problems.push(`TAR_ENTRY_ERROR: symlink ${rel}: ${(err as Error).message}`);
    }
  }
}

async function checkArchive(archive: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(archive);
  } catch (err) {
    throw new RuntimeError('rootfs-tar', `cannot read rootfs tarball ${archive}: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isFile()) throw new RuntimeError('rootfs-tar', `rootfs tarball ${archive} is not a regular file`);
}

/** Creates `target` if missing (then returns true); refuses anything but an empty directory. */
async function prepareTarget(target: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await fsp.readdir(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await fsp.mkdir(target, { recursive: true, mode: 0o755 });
      return true;
    }
    if (code === 'ENOTDIR') throw new RuntimeError('rootfs-tar', `rootfs ${target} exists and is not a directory`);
    throw new RuntimeError('rootfs-tar', `cannot read rootfs directory ${target}: ${(err as Error).message}`, { cause: err });
  }
  // Unpacking over an existing tree would mix two filesystems; make the user choose.
  if (entries.length > 0) {
    throw new RuntimeError('rootfs-tar', `rootfs directory ${target} is not empty. Remove it first`);
  }
  return false;
}

/**
 * Sets the recorded modes. Paths come from the archive, so each one is checked to stay inside the
 * rootfs: not a symlink itself (chmod would follow it), and a parent that really resolves under
 * the rootfs.
 */
async function fixModes(realTarget: string, modes: Map<string, number>): Promise<void> {
  for (const [rel, mode] of modes) {
    const abs = await safeTarget(realTarget, rel, false);
    if (abs === null) continue;
    const st = await fsp.lstat(abs).catch(() => null);
    // Missing: an entry node-tar skipped; a symlink: a later entry replaced it.
    if (!st || st.isSymbolicLink() || (st.mode & 0o7777) === mode) continue;
    await fsp.chmod(abs, mode);
  }
}
