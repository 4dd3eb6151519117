// The parent's half of id-mapped binds (config.md "Mounts": idmap, ridmap, uidMappings/gidMappings):
// before the init stage is spawned, each such bind's source becomes a detached tree
// (open_tree(2) OPEN_TREE_CLONE) id-mapped with mount_setattr(2) MOUNT_ATTR_IDMAP, and the tree's
// fd is handed to the stage, which moves it into the rootfs (src/linux/mounts.ts, bind-tree.ts).
//
// Why here and not in the init stage: mount_setattr(2) lets only a holder of CAP_SYS_ADMIN in the
// user namespace the filesystem was mounted in id-map a mount, which for host filesystems is the
// initial one; the stage runs in the container's user namespace by then. And why before the spawn:
// the stage's fds are fixed when it is spawned (its channel is a libuv stream that carries no
// fds), so the trees travel as inherited fds, as the exec fifo does (parent.ts). runc does the same
// split (the parent makes the trees and sends them; its init moves them).
import * as libc from '../../sys/libc';
import { libcSys } from '../../sys/libc-sys';
import { O } from '../../sys/constants';
import { RuntimeError } from '../../errors';
import { log } from '../../log';
import { formatIdMap } from '../../linux/id-maps';
import { cloneTree, idmapTree } from '../../linux/bind-tree';
import { parseMountOptions } from '../../linux/mount-options';
import { mappedUserNamespace } from './idmap-userns';
import type { InitMount, InitMountIdmap } from '../../stage-config/init-config';

export interface IdmapTrees {
  /** Our fd of each id-mapped mount's tree, by its index in InitConfig.mounts. */
  readonly byMount: ReadonlyMap<number, number>;
  /** Closes our fds (after the spawn: the stage has its copies; on a failure: the trees are freed). */
  close(): void;
}

/** The user namespace an idmap goes through: the joined one by its path, or one made with the maps. */
async function usernsFd(idmap: InitMountIdmap): Promise<number> {
  if (idmap.usernsPath) return libc.open(idmap.usernsPath, O.RDONLY | O.CLOEXEC);
  return mappedUserNamespace(idmap.uidMappings ?? [], idmap.gidMappings ?? []);
}

function usernsKey(idmap: InitMountIdmap): string {
  return idmap.usernsPath ? `path ${idmap.usernsPath}` : `${formatIdMap(idmap.uidMappings ?? [])}/${formatIdMap(idmap.gidMappings ?? [])}`;
}

/** Makes the id-mapped tree of every mount with `idmap`; one user namespace per distinct mapping. */
export async function makeIdmapTrees(mounts: readonly InitMount[]): Promise<IdmapTrees> {
  const started = process.hrtime.bigint();
  const byMount = new Map<number, number>();
  const namespaces = new Map<string, number>();
  const closeAll = (fds: Iterable<number>): void => {
    for (const fd of fds) libc.close(fd);
  };
  try {
    for (const [i, m] of mounts.entries()) {
      if (!m.idmap) continue;
      const key = usernsKey(m.idmap);
      let ns = namespaces.get(key);
      if (ns === undefined) {
        ns = await usernsFd(m.idmap);
        namespaces.set(key, ns);
      }
      const p = parseMountOptions(m.options);
      const tree = cloneTreeOf(m, p.recursiveBind);
      byMount.set(i, tree);
      try {
        idmapTree(libcSys, tree, ns, m.idmap.recursive, m.source);
      } catch (e) {
        throw new RuntimeError('mount', `mount ${m.source} to ${m.destination}: ${(e as Error).message}`, { cause: e });
      }
    }
  } catch (e) {
    closeAll(byMount.values());
    throw e;
  } finally {
    // The trees hold what they need of their namespace (the mount's idmapping keeps a reference).
    closeAll(namespaces.values());
  }
  // Their cost, for docs/ARCHITECTURE.md section 1 (`--debug`).
  if (byMount.size) log.debug(`id-mapped mounts: ${byMount.size} trees, ${namespaces.size} user namespaces in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  return { byMount, close: () => closeAll(byMount.values()) };
}

function cloneTreeOf(m: InitMount, recursive: boolean): number {
  try {
    return cloneTree(libcSys, m.source, recursive);
  } catch (e) {
    throw new RuntimeError('mount', `mount ${m.source} to ${m.destination}: ${(e as Error).message}`, { cause: e });
  }
}
