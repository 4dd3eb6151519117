// Reliability (issue 12, part 8): 500 lifecycles of the demo bundle, one after another: create,
// start, wait until its program has exited, delete. Each must succeed; at the end nothing may be
// left (no state dir, cgroup, mount or process of ours), and the process that drove them (this
// one) must hold as many fds as after the warm-up: a runtime that leaks into its caller (a pipe
// never closed, a child never reaped) shows here first. RSS and threads are reported as tap
// comments, not asserted (a garbage-collected heap has no exact figure to hold it to).
import path from 'node:path';
import t from 'tap';
import { REPO, cleanupRoot, delay, makeStateRoot, ownLeaks, skipReason, uniqueId } from '../lib/harness';
import { lifecycle } from '../lib/lifecycle';
import { mib, processStats } from './process-stats';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
// Longer than tap's 120 s per file (package.json): this file is the long one of the suite, and a
// bound against a hang only (it takes 2-3 minutes on a quiet 2-core machine).
t.setTimeout(1_800_000);

const LIFECYCLES = 500;
/** Lifecycles before the first measurement: libuv opens its signal pipe and pool threads lazily. */
const WARMUP = 10;
const SAMPLE_EVERY = 100;
const DEMO = path.join(REPO, 'bundles', 'demo');

t.test(`${LIFECYCLES} back-to-back lifecycles of the demo bundle`, { skip: skipReason }, async (t) => {
  const errors: string[] = [];
  for (let i = 0; i < WARMUP; i++) {
    const e = await lifecycle(root, DEMO, uniqueId('rel'), 'exit');
    if (e) errors.push(`warm-up: ${e}`);
  }
  const before = processStats();
  const fdSamples: number[] = [before.fds];
  const started = Date.now();
  for (let i = 1; i <= LIFECYCLES; i++) {
    const e = await lifecycle(root, DEMO, uniqueId('rel'), 'exit');
    if (e) errors.push(e);
    if (i % SAMPLE_EVERY === 0) {
      const now = processStats();
      fdSamples.push(now.fds);
      // The trend as it goes, for a reader of a long CI log.
      t.comment(`after ${i}: ${(i / ((Date.now() - started) / 1000)).toFixed(2)} lifecycles/s, fds ${now.fds}, threads ${now.threads}, RSS ${mib(now.rssKiB)} MiB, ${errors.length} failed`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  // The last child's pipes are closed on the next turns of the event loop.
  await delay(50);
  const after = processStats();
  t.same(errors, [], `all ${LIFECYCLES} lifecycles succeed`);
  t.equal(after.fds, before.fds, `this process holds as many fds as after the warm-up (samples every ${SAMPLE_EVERY}: ${fdSamples.join(' ')})`);
  t.same(ownLeaks(root), { mounts: [], cgroups: [], processes: [], state: [] }, 'nothing left behind');
  t.comment(`lifecycles: ${LIFECYCLES - errors.length}/${LIFECYCLES} in ${seconds.toFixed(1)} s, ${(LIFECYCLES / seconds).toFixed(2)} lifecycles/s`);
  t.comment(`calling process: fds ${before.fds} -> ${after.fds} (samples ${fdSamples.join(' ')}), threads ${before.threads} -> ${after.threads}, RSS ${mib(before.rssKiB)} -> ${mib(after.rssKiB)} MiB`);
});
