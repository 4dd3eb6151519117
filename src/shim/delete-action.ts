// `containerd-shim-tsrun-v1 ... -bundle DIR delete`: containerd runs it when a shim died without
// deleting its task (runtime/v2/binary.go Delete) and reads a DeleteResponse on stdout. As the
// runc shim's Cleanup does: the container is deleted by force, the rootfs unmounted, and the
// exit reported as 128+SIGKILL (the status a killed task has); the dead server's socket goes too.
import fs = require('node:fs');
import path = require('node:path');
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import * as api from '../api';
import { DeleteResponseSchema } from './gen/github.com/containerd/containerd/runtime/v2/task/shim_pb';
import { DEFAULT_STATE_ROOT } from './options';
import { ROOT_FILE } from './task-service';
import { unmountRootfs } from './rootfs';
import { ADDRESS_FILE } from './start-action';
import { pathOfAddress } from './address';
import type { ShimFlags } from './flags';

const SIGKILL_STATUS = 128 + 9;

function readFile(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Returns the DeleteResponse bytes; problems on the way are warnings on stderr (containerd logs them). */
export function deleteAction(f: ShimFlags): Uint8Array {
  const bundle = f.bundle !== '' ? f.bundle : process.cwd();
  const root = readFile(path.join(bundle, ROOT_FILE)) ?? path.join(DEFAULT_STATE_ROOT, f.namespace);
  const rt: api.Runtime = { root };
  let pid = 0;
  try {
    pid = api.state(rt, f.id).pid;
  } catch {
    // already gone
  }
  try {
    api.remove(rt, f.id, true);
  } catch (e) {
    process.stderr.write(`delete ${f.id}: ${(e as Error).message}\n`);
  }
  unmountRootfs(bundle);
  fs.rmSync(path.join(bundle, ROOT_FILE), { force: true });
  const address = readFile(path.join(bundle, ADDRESS_FILE));
  if (address) fs.rmSync(pathOfAddress(address), { force: true });
  return toBinary(DeleteResponseSchema, create(DeleteResponseSchema, { pid, exitStatus: SIGKILL_STATUS, exitedAt: timestampNow() }));
}
