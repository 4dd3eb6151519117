// Host-side fixtures for mount cases: directories and files in the case's work dir, and a small
// tree with submounts (for bind vs rbind and the recursive mount attributes). Every host mount
// made here is registered with ctx.defer, so it is unmounted even when the case fails.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/** A directory `name` in the work dir holding `files` ({ relative path: content }). */
export function makeDir(ctx, name, files = {}) {
  const dir = path.join(ctx.work, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** mount(8) on the host, undone by the case's cleanup. */
export function hostMount(ctx, args, target) {
  execFileSync('mount', [...args, target]);
  ctx.defer(() => execFileSync('umount', ['-l', target]));
}

/**
 * work/tree with two submounts: tree/sub (tmpfs, rw, holds "file") and tree/subro (tmpfs, ro).
 * The tree is made a private mount first so nothing propagates to or from the host's mounts.
 */
export function makeTreeWithSubmounts(ctx) {
  const tree = makeDir(ctx, 'tree', { 'top.txt': 'top\n' });
  fs.mkdirSync(path.join(tree, 'sub'));
  fs.mkdirSync(path.join(tree, 'subro'));
  hostMount(ctx, ['--bind', tree], tree);
  execFileSync('mount', ['--make-private', tree]);
  hostMount(ctx, ['-t', 'tmpfs', '-o', 'size=1m', 'conf-sub'], path.join(tree, 'sub'));
  fs.writeFileSync(path.join(tree, 'sub', 'file'), 'in-submount\n');
  hostMount(ctx, ['-t', 'tmpfs', '-o', 'size=1m,ro', 'conf-subro'], path.join(tree, 'subro'));
  return tree;
}
