// Last file of the integration suite (tap runs files in name order, one at a time): the whole
// machine must be free of what tsrun and its tests make: state roots of the tests with content,
// host mounts of a tsrun path or a bundle's rootfs, container cgroups under tsrun's parent in any
// hierarchy (the last container out removes the parent too), init stages (`node dist/init.js`)
// still alive. Unlike the per-file checks (harness ownLeaks), this is not narrowed to one test
// process: anything left by any suite, including conformance/ when it ran on the same machine,
// fails it. What was there before `npm test` started (scripts/test.sh records it: a user's own
// containers, leftovers of earlier work) is not the suite's doing: it is listed, not counted.
import t from 'tap';
import { skipReason, waitFor } from '../lib/harness';
import { NO_LEAKS, leakBaseline, machineLeaks, subtractLeaks } from '../lib/machine-leaks';

t.test('nothing tsrun made is left on the machine', { skip: skipReason }, async (t) => {
  const before = leakBaseline();
  for (const [kind, items] of Object.entries(before)) {
    for (const item of items as string[]) t.comment(`on the machine before the suite started, not counted: ${kind} ${item}`);
  }
  const leaks = () => subtractLeaks(machineLeaks(), before);
  // A container that another suite is deleting right now may still be on its way out: allow a
  // bounded settle time, then report whatever remains.
  await waitFor(() => JSON.stringify(leaks()) === JSON.stringify(NO_LEAKS), 30_000);
  const left = leaks();
  t.same(left.stateRoots, [], 'no /run/tsrun-test-* state root with content');
  t.same(left.mounts, [], 'no host mount of a tsrun path or a bundle rootfs');
  t.same(left.cgroups, [], 'no cgroup under /sys/fs/cgroup/*/tsrun');
  t.same(left.processes, [], 'no dist/init.js process');
});
