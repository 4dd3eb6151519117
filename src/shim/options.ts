// CreateTaskRequest.options: the runtime options containerd passes (a google.protobuf.Any). The
// shim reads the runc shim's own type, containerd.runc.v1.Options (what CRI's `options` table and
// `ctr --runc-*` produce), so a config written for io.containerd.runc.v2 works here:
//   Root           state root of the runtime: <Root>/<namespace> (default /run/containerd/tsrun)
//   NoPivotRoot, NoNewKeyring  as tsrun create's --no-pivot and --no-new-keyring
//   BinaryName     ignored: the runtime is tsrun itself, in-process
//   SystemdCgroup  refused by name: tsrun refuses the systemd cgroup driver
//   ShimCgroup, IoUid, IoGid, Criu*  refused by name when set: not implemented here yet
// Any other options type is refused with its type URL.
import { fromBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import path = require('node:path');
import { OptionsSchema } from './gen/github.com/containerd/containerd/runtime/v2/runc/options/oci_pb';
import { TtrpcError, Code } from './ttrpc/codes';

export const DEFAULT_STATE_ROOT = '/run/containerd/tsrun';

export interface ShimOptions {
  /** The tsrun state root for this namespace. */
  root: string;
  noPivot: boolean;
  noNewKeyring: boolean;
}

export function readOptions(any: Any | undefined, namespace: string): ShimOptions {
  const out: ShimOptions = { root: path.join(DEFAULT_STATE_ROOT, namespace), noPivot: false, noNewKeyring: false };
  if (!any || (any.typeUrl === '' && any.value.length === 0)) return out;
  // containerd's typeurl writes gogo messages' names bare; other encoders prefix type.googleapis.com/.
  const name = any.typeUrl.replace(/^.*\//, '');
  if (name !== OptionsSchema.typeName) throw new TtrpcError(Code.INVALID_ARGUMENT, `runtime options of type ${any.typeUrl} are not supported by containerd-shim-tsrun-v1 (only ${OptionsSchema.typeName})`);
  const o = fromBinary(OptionsSchema, any.value);
  if (o.systemdCgroup) throw new TtrpcError(Code.INVALID_ARGUMENT, 'SystemdCgroup: the systemd cgroup driver is not supported by tsrun');
  const refused: Array<[string, boolean]> = [
    ['ShimCgroup', o.shimCgroup !== ''], ['IoUid', o.ioUid !== 0], ['IoGid', o.ioGid !== 0],
    ['CriuPath', o.criuPath !== ''], ['CriuImagePath', o.criuImagePath !== ''], ['CriuWorkPath', o.criuWorkPath !== ''],
  ];
  for (const [field, set] of refused) {
    if (set) throw new TtrpcError(Code.INVALID_ARGUMENT, `${field}: not supported by containerd-shim-tsrun-v1 yet`);
  }
  if (o.root !== '') out.root = path.join(o.root, namespace);
  out.noPivot = o.noPivotRoot;
  out.noNewKeyring = o.noNewKeyring;
  return out;
}
