// runtime-spec config-linux.md "Seccomp": the filter is built from linux.seccomp and applies to
// the container process; what cannot be applied makes create fail.
import fs from 'node:fs';
import { eq, match, noMatch } from '../lib/assert.mjs';
import { addTmpfs } from '../lib/config.mjs';

export const section = '14. seccomp';

const PODMAN = '/usr/share/containers/seccomp.json';

/** containers/common's profile -> linux.seccomp for x86_64 and the container's capabilities. */
function flattenProfile(p, caps) {
  const arch = (p.archMap ?? []).find((a) => a.architecture === 'SCMP_ARCH_X86_64');
  const hit = (sel, dflt) => {
    if (!sel || (!sel.caps?.length && !sel.arches?.length)) return dflt;
    return (!sel.caps?.length || sel.caps.every((c) => caps.includes(c))) && (!sel.arches?.length || sel.arches.includes('amd64'));
  };
  return {
    defaultAction: p.defaultAction,
    defaultErrnoRet: p.defaultErrnoRet,
    architectures: arch ? [arch.architecture, ...(arch.subArchitectures ?? [])] : [],
    syscalls: p.syscalls.filter((r) => hit(r.includes, true) && !hit(r.excludes, false)).map((r) => ({
      names: r.names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), ...(r.args?.length ? { args: r.args } : {}),
    })),
  };
}

const denyMkdir = (extra = {}) => (c) => {
  addTmpfs(c, '/tmp');
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', ...extra }] };
};

export default [
  {
    name: 'seccomp_filter_installed',
    rule: 'config-linux.md Seccomp: "Seccomp provides application sandboxing mechanism in the Linux kernel": the container process runs in filter mode',
    script: 'grep -E "^Seccomp:" /proc/self/status',
    patch: denyMkdir(),
    expect: (r) => match(r.stdout, /^Seccomp:\s+2$/m, 'Seccomp mode 2 (filter)'),
  },
  {
    name: 'seccomp_errno_ret',
    rule: 'config-linux.md Seccomp: errnoRet "the errno return code to use" for SCMP_ACT_ERRNO',
    script: 'mkdir /tmp/x 2>&1; test -e /tmp/x && echo created; true',
    patch: denyMkdir({ errnoRet: 38 }),
    expect: (r) => {
      match(r.stdout, /Function not implemented/, 'ENOSYS from the filter');
      noMatch(r.stdout, /created/, 'mkdir did not happen');
    },
  },
  {
    name: 'seccomp_errno_default_eperm',
    rule: 'config-linux.md Seccomp: errnoRet "If not specified then its default value is EPERM"',
    script: 'mkdir /tmp/x 2>&1; echo done',
    patch: denyMkdir(),
    expect: (r) => match(r.stdout, /Operation not permitted\ndone/, 'EPERM'),
  },
  {
    name: 'seccomp_default_errno_ret',
    rule: 'config-linux.md Seccomp: defaultErrnoRet is returned by syscalls that no rule matches under defaultAction SCMP_ACT_ERRNO',
    script: 'mkdir /tmp/x 2>&1; echo done',
    patch: (c) => {
      if (!fs.existsSync(PODMAN)) return;
      addTmpfs(c, '/tmp');
      const p = flattenProfile(JSON.parse(fs.readFileSync(PODMAN, 'utf8')), c.process.capabilities.bounding);
      p.defaultErrnoRet = 95; // EOPNOTSUPP
      p.syscalls = p.syscalls.map((s) => ({ ...s, names: s.names.filter((n) => n !== 'mkdir' && n !== 'mkdirat') }));
      c.linux.seccomp = p;
    },
    skip: () => (fs.existsSync(PODMAN) ? undefined : `${PODMAN} missing (golang-github-containers-common)`),
    expect: (r) => match(r.stdout, /Operation not supported\ndone/, 'EOPNOTSUPP from defaultErrnoRet'),
  },
  {
    name: 'seccomp_podman_default_profile',
    rule: "config-linux.md Seccomp: podman's default profile as a client sends it: ordinary programs run, namespace creation and mounts fail",
    script: 'ls / >/dev/null && cat /etc/passwd >/dev/null && echo tools-ok; unshare -m true 2>/dev/null || echo unshare-refused; mount -t tmpfs none /mnt 2>/dev/null || echo mount-refused',
    skip: () => (fs.existsSync(PODMAN) ? undefined : `${PODMAN} missing (golang-github-containers-common)`),
    patch: (c) => {
      c.linux.seccomp = flattenProfile(JSON.parse(fs.readFileSync(PODMAN, 'utf8')), c.process.capabilities.bounding);
    },
    expect: (r) => eq(r.stdout, 'tools-ok\nunshare-refused\nmount-refused\n', 'output'),
  },
  {
    name: 'seccomp_args_masked_eq',
    rule: 'config-linux.md Seccomp: args select calls by argument (SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the value)',
    script: 'linux32 true 2>/dev/null && echo linux32-ran; linux64 true && echo linux64-ran',
    patch: (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0xff, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' }] }] };
    },
    expect: (r) => eq(r.stdout, 'linux64-ran\n', 'personality(PER_LINUX32) refused, personality(PER_LINUX) allowed'),
  },
  {
    name: 'seccomp_kill_process',
    rule: 'config-linux.md Seccomp: SCMP_ACT_KILL_PROCESS kills the process with SIGSYS (exit 128+31)',
    patch: (c) => {
      denyMkdir()(c);
      c.linux.seccomp.syscalls[0].action = 'SCMP_ACT_KILL_PROCESS';
      c.process.args = ['mkdir', '/tmp/x'];
    },
    status: 159,
  },
  {
    name: 'seccomp_unknown_syscall_skipped',
    rule: 'config-linux.md Seccomp: names the kernel does not know are skipped, as runc does (profiles outlive kernels)',
    script: 'mkdir /tmp/x 2>&1; echo done',
    patch: (c) => {
      denyMkdir()(c);
      c.linux.seccomp.syscalls[0].names.push('tsrun_no_such_syscall');
    },
    expect: (r) => match(r.stdout, /Operation not permitted\ndone/),
  },
  {
    name: 'seccomp_errno_ret_on_allow_fail',
    rule: 'config-linux.md Seccomp: "When the action doesn\'t support an errno, the runtime MUST print and error and fail"',
    patch: (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 5 }] };
    },
    fail: '/linux/seccomp/syscalls/0/errnoRet',
  },
  {
    name: 'seccomp_default_errno_ret_on_kill_fail',
    rule: 'config-linux.md Seccomp: defaultErrnoRet with a defaultAction that takes no errno is an error',
    patch: (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_KILL_PROCESS', defaultErrnoRet: 1 };
    },
    fail: '/linux/seccomp/defaultErrnoRet',
  },
  {
    name: 'seccomp_notify_without_listener_fail',
    rule: 'config-linux.md Seccomp: listenerPath is where SCMP_ACT_NOTIFY sends the fd; without one nobody could answer, so create errors',
    patch: (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }] };
    },
    fail: '/linux/seccomp/listenerPath',
  },
];
