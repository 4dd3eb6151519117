// Reliability (issue 12, part 8): 50 lifecycles of the demo bundle at once (create, start, wait
// for the program's exit, delete), all started together, each its own container and default
// cgroup. test/integration/concurrency.test.ts runs 30 at once x 5 rounds with the /tsrun parents
// absent at each start and killing each container; this one is the wider burst, with programs that
// exit on their own. All must succeed and leave nothing.
import path from 'node:path';
import t from 'tap';
import { REPO, cleanupRoot, makeStateRoot, ownLeaks, skipReason, uniqueId } from '../lib/harness';
import { lifecycle } from '../lib/lifecycle';
import { mib, processStats } from './process-stats';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
t.setTimeout(1_800_000); // a hang guard only, large enough for a heavily loaded machine

const AT_ONCE = 50;
const DEMO = path.join(REPO, 'bundles', 'demo');

t.test(`${AT_ONCE} concurrent lifecycles of the demo bundle`, { skip: skipReason }, async (t) => {
  const before = processStats();
  const started = Date.now();
  const ids = Array.from({ length: AT_ONCE }, () => uniqueId('relc'));
  const errors = (await Promise.all(ids.map((id) => lifecycle(root, DEMO, id, 'exit')))).filter((e): e is string => e !== undefined);
  const seconds = (Date.now() - started) / 1000;
  t.same(errors, [], `all ${AT_ONCE} lifecycles succeed`);
  t.same(ownLeaks(root), { mounts: [], cgroups: [], processes: [], state: [] }, 'nothing left behind');
  const after = processStats();
  t.comment(`concurrent: ${AT_ONCE - errors.length}/${AT_ONCE} lifecycles at once in ${seconds.toFixed(1)} s (${(AT_ONCE / seconds).toFixed(2)} lifecycles/s); calling process fds ${before.fds} -> ${after.fds}, RSS ${mib(before.rssKiB)} -> ${mib(after.rssKiB)} MiB`);
});
