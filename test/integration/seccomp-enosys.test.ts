// runc's ENOSYS stub, end to end: a deny-by-default profile written before clone3 existed (podman's
// default profile with every syscall from clone3 (435) on removed, and EPERM as the default errno).
// glibc's posix_spawn and pthread_create try clone3 first and fall back to clone only on ENOSYS:
// without the stub, `tsrun exec` (which posix_spawns under the filter) fails with EPERM.
import t from 'tap';
import { assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, skipReason, tsrun, uniqueId } from '../lib/harness';
import { podmanRulesFor, profileSkip } from '../lib/seccomp-profiles';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

t.test('a profile older than clone3: exec still works, newer syscalls get ENOSYS', { skip: skipReason || profileSkip }, async (t) => {
  const old = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: podmanRulesFor((_n, nr) => nr >= 0 && nr < 435),
  };
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
    c.linux.seccomp = old;
  });
  const id = uniqueId('enosys');
  const r = tsrun(root, ['run', '-d', '-b', bundle, id]);
  t.equal(r.status, 0, `run: ${r.stderr}`);
  const e = tsrun(root, ['exec', id, 'sh', '-c', 'echo exec-ok; grep Seccomp: /proc/self/status']);
  t.equal(e.status, 0, `exec posix_spawns under the profile: ${e.stderr}`);
  t.match(e.stdout, /^exec-ok\nSeccomp:\s+2\n/);
  tsrun(root, ['delete', '--force', id]);
  assertNoLeaks(t, root);
});
