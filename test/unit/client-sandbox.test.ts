// The client tests' Sandbox (test/clients/lib/sandbox.ts) keeps the runtime's leaks apart from
// what the client makes for itself: a container dir left in a runtime state root is a leak; a
// file in a client-owned host path (podman's first-run blob info cache) is removed and listed in
// clientFiles, not reported; a state root or client path that already existed is not swept
// (it may hold other users' containers), only the dirs named with expectGone are checked.
// Host paths are stood in for by paths in a temp dir: no root needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Sandbox } from '../clients/lib/sandbox';

function scratch(t: Test): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sandbox-unit-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('a container dir left in a new runtime root is a leak; the root itself is not', async (t) => {
  const host = scratch(t);
  const root = path.join(host, 'run-tsrun');
  const sb = new Sandbox('unit', { cgroups: [], runtimeRoots: [root], clientPaths: {} });
  fs.mkdirSync(path.join(root, 'c1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'c1', 'state.json'), '{}');
  fs.mkdirSync(path.join(root, 'c2'));
  t.same(await sb.teardown(), [`runtime state ${root}/c1 (c1/state.json)`, `runtime state ${root}/c2`], 'both container dirs, even the empty one');
  t.notOk(fs.existsSync(root), 'the new root is removed');

  const clean = path.join(host, 'run-clean');
  const sb2 = new Sandbox('unit', { cgroups: [], runtimeRoots: [clean], clientPaths: {} });
  fs.mkdirSync(clean); // made on demand by the runtime and kept, as runc keeps /run/runc
  t.same(await sb2.teardown(), [], 'an empty root is no leak');
  t.notOk(fs.existsSync(clean), 'and is removed');
});

t.test('a private runtime root inside the sandbox dir is swept too', async (t) => {
  const sb = new Sandbox('unit', { cgroups: [], runtimeRoots: [], clientPaths: {} });
  const root = path.join(sb.path('runc-root'), 'ns');
  sb.runtimeRoot(root);
  fs.mkdirSync(path.join(root, 'ctr1', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'ctr1', 'exec.fifo'), '');
  t.same(await sb.teardown(), [`runtime state ${root}/ctr1 (ctr1/exec.fifo)`]);
  t.notOk(fs.existsSync(sb.dir), 'the sandbox dir is gone');
});

t.test('what the client makes for itself is removed and listed, not reported', async (t) => {
  const host = scratch(t);
  const cache = path.join(host, 'var-lib-containers');
  const sb = new Sandbox('unit', { cgroups: [], runtimeRoots: [], clientPaths: { [cache]: "podman's blob info cache" } });
  fs.mkdirSync(path.join(cache, 'cache'), { recursive: true });
  fs.writeFileSync(path.join(cache, 'cache', 'blob-info-cache-v1.boltdb'), 'x');
  t.same(await sb.teardown(), [], 'no leak');
  t.same(sb.clientFiles, [`${cache}/cache/blob-info-cache-v1.boltdb (podman's blob info cache)`]);
  t.notOk(fs.existsSync(cache), 'removed: the machine is as it was');
});

t.test('paths that existed before are left alone; expectGone still checks named state dirs', async (t) => {
  const host = scratch(t);
  const root = path.join(host, 'shared-root');
  const cache = path.join(host, 'existing-cache');
  fs.mkdirSync(path.join(root, 'someone-elses'), { recursive: true });
  fs.mkdirSync(cache);
  const sb = new Sandbox('unit', { cgroups: [], runtimeRoots: [root], clientPaths: { [cache]: 'why' } });
  sb.expectGone(path.join(root, 'ours'));
  fs.mkdirSync(path.join(root, 'ours'));
  fs.writeFileSync(path.join(cache, 'f'), '');
  t.same(await sb.teardown(), [`runtime state ${root}/ours`], 'only the tracked dir');
  t.ok(fs.existsSync(path.join(root, 'someone-elses')), 'other containers untouched');
  t.ok(fs.existsSync(path.join(cache, 'f')), 'a client path that existed is not touched');
  t.same(sb.clientFiles, []);
});
