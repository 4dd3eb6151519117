import t from 'tap';
import { cleanupRoot, leakSnapshot, makeStateRoot, runScript, skipReason } from '../lib/harness';

t.test('a container runs and reports pid 1', { skip: skipReason }, async (t) => {
  const root = makeStateRoot();
  t.teardown(() => cleanupRoot(root));
  const r = runScript(root, 'echo pid $$; hostname');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^pid 1\ntsrun\n$/);
  const leaks = leakSnapshot(root);
  t.same(leaks, { mounts: [], cgroups: [], processes: [], state: [] });
});
