// runc's ENOSYS stub, end to end: a deny-by-default profile written before clone3 existed (podman's
// default profile with every syscall from clone3 (435) on removed, and EPERM as the default errno).
// glibc's posix_spawn and pthread_create try clone3 first and fall back to clone only on ENOSYS:
// without the stub, `tsrun exec` (which posix_spawns under the filter) fails with EPERM.
import fs from 'node:fs';
import t from 'tap';
import { assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, skipReason, tsrun, uniqueId } from '../lib/harness';
import * as scmp from '../../src/sys/libseccomp';

const PROFILE = '/usr/share/containers/seccomp.json';
const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

t.test('a profile older than clone3: exec still works, newer syscalls get ENOSYS', { skip: skipReason || (!fs.existsSync(PROFILE) && `${PROFILE} missing`) || (process.arch !== 'x64' && 'the trimmed profile is x86_64 only') }, async (t) => {
  // containers-common's format has conditional rules (includes/excludes by capability or arch):
  // keep the unconditional ones and those for amd64, as runtime-spec rules.
  type Rule = { names: string[]; action: string; errnoRet?: number; args?: unknown[] | null; includes?: { arches?: string[]; caps?: string[] }; excludes?: object };
  const full = JSON.parse(fs.readFileSync(PROFILE, 'utf8')) as { syscalls: Rule[] };
  const isEmpty = (o: object | undefined): boolean => !o || Object.keys(o).length === 0;
  const forAmd64 = (i: Rule['includes']): boolean => isEmpty(i) || (!i?.caps?.length && (i?.arches ?? []).includes('amd64'));
  const old = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: full.syscalls
      .filter((r) => forAmd64(r.includes) && isEmpty(r.excludes))
      .map((r) => ({
        names: r.names.filter((n) => scmp.syscallResolveName(n) < 435),
        action: r.action,
        ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
        ...(r.args?.length ? { args: r.args } : {}),
      }))
      .filter((r) => r.names.length > 0),
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
