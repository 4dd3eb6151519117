// The shim's command line (src/shim/flags.ts: Go flag syntax, as containerd 1.6 passes it), its
// socket name (src/shim/address.ts, containerd's SocketAddress) and the runtime options it reads
// (src/shim/options.ts).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import crypto from 'node:crypto';
import t from 'tap';
import { create, toBinary } from '@bufbuild/protobuf';
import { parseShimFlags } from '../../src/shim/flags';
import { socketAddress, socketPath, pathOfAddress } from '../../src/shim/address';
import { Code } from '../../src/shim/ttrpc/codes';
import type * as Options from '../../src/shim/options';
import type * as OciPb from '../../src/shim/gen/github.com/containerd/containerd/runtime/v2/runc/options/oci_pb';

execFileSync(process.execPath, [path.resolve(__dirname, '../../scripts/gen-proto.mjs')]);
 
const { readOptions } = require('../../src/shim/options') as typeof Options;
const { OptionsSchema } = require('../../src/shim/gen/github.com/containerd/containerd/runtime/v2/runc/options/oci_pb') as typeof OciPb;
 

t.test('flags: containerd 1.6 start and delete command lines', async (t) => {
  // runtime/v2/binary.go Start: client.Command's -namespace/-address/-publish-binary, then -id [-debug] start.
  const s = parseShimFlags(['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'c1', '-debug', 'start']);
  t.same([s.namespace, s.address, s.publishBinary, s.id, s.debug, s.action], ['default', '/run/containerd/containerd.sock', '/usr/bin/containerd', 'c1', true, 'start']);
  const d = parseShimFlags(['-namespace', 'k8s.io', '-address', 'a', '-publish-binary', 'b', '-id', 'c1', '-bundle', '/b/c1', 'delete']);
  t.same([d.bundle, d.action, d.debug], ['/b/c1', 'delete', false]);
  const eq = parseShimFlags(['--namespace=ns', '-socket=/s', '-debug=false']);
  t.same([eq.namespace, eq.socket, eq.debug, eq.action], ['ns', '/s', false, '']);
  t.throws(() => parseShimFlags(['-nope', 'x']), { message: 'flag provided but not defined: -nope' });
  t.throws(() => parseShimFlags(['-id']), { message: 'flag needs an argument: -id' });
});

t.test("socket: /run/containerd/s/<sha256(address/ns/id)>, containerd's own naming", async (t) => {
  const p = socketPath('/run/containerd/containerd.sock', 'default', 'c1');
  const want = crypto.createHash('sha256').update('/run/containerd/containerd.sock/default/c1').digest('hex');
  t.equal(p, `/run/containerd/s/${want}`);
  t.ok(p.length < 108, 'fits in sun_path');
  t.equal(socketAddress(p), `unix://${p}`);
  t.equal(pathOfAddress(socketAddress(p)), p);
});

t.test('options: runc Options read, refused by name, other types refused', async (t) => {
  t.same(readOptions(undefined, 'ns'), { root: '/run/containerd/tsrun/ns', noPivot: false, noNewKeyring: false });
  const any = (o: Omit<Partial<OciPb.Options>, '$typeName'>, typeUrl = 'containerd.runc.v1.Options') => ({ $typeName: 'google.protobuf.Any' as const, typeUrl, value: toBinary(OptionsSchema, create(OptionsSchema, o)) });
  t.same(readOptions(any({ root: '/r', noPivotRoot: true, binaryName: 'runc' }), 'ns'), { root: '/r/ns', noPivot: true, noNewKeyring: false }, 'Root, NoPivotRoot; BinaryName ignored');
  t.same(readOptions(any({ noNewKeyring: true }, 'type.googleapis.com/containerd.runc.v1.Options'), 'ns').noNewKeyring, true, 'prefixed type URL');
  t.throws(() => readOptions(any({ systemdCgroup: true }), 'ns'), { code: Code.INVALID_ARGUMENT, message: /SystemdCgroup/ });
  t.throws(() => readOptions(any({ shimCgroup: '/x' }), 'ns'), { message: /ShimCgroup/ });
  t.throws(() => readOptions(any({}, 'runtimeoptions.v1.Options'), 'ns'), { message: /runtimeoptions\.v1\.Options/ });
});
