// Last file of the integration suite (tap runs files in name order, one at a time): the whole
// machine must be free of what tsrun and its tests make: state roots of the tests with content,
// host mounts of a tsrun path or a bundle's rootfs, tsrun's cgroup parent in any hierarchy (the
// last container out removes it), init stages (`node dist/init.js`) still alive. Unlike the
// per-file checks (harness ownLeaks), this is not narrowed to one test process: anything left by
// any suite, including conformance/ when it ran on the same machine, fails it.
import t from 'tap';
import { machineLeaks, skipReason, waitFor } from '../lib/harness';

t.test('nothing tsrun made is left on the machine', { skip: skipReason }, async (t) => {
  const clean = { stateRoots: [], mounts: [], cgroups: [], processes: [] };
  // A container that another suite is deleting right now may still be on its way out: allow a
  // bounded settle time, then report whatever remains.
  await waitFor(() => JSON.stringify(machineLeaks()) === JSON.stringify(clean), 30_000);
  const leaks = machineLeaks();
  t.same(leaks.stateRoots, [], 'no /run/tsrun-test-* state root with content');
  t.same(leaks.mounts, [], 'no host mount of a tsrun path or a bundle rootfs');
  t.same(leaks.cgroups, [], 'no /sys/fs/cgroup/*/tsrun directory');
  t.same(leaks.processes, [], 'no dist/init.js process');
});
