// The privilege drop (src/launcher/stage/become-process.ts becomeProcess, sealProcess) against the
// recording fake Sys: rlimits while privileged, the bounding set before the uid switch,
// keepcaps around setgroups -> setresgid -> setresuid (runc's finalizeNamespace and
// setupUser; config.md "User"), the capability sets after, dumpable off, no_new_privs, and the
// seccomp load last, with CAP_SYS_ADMIN held for it only when no_new_privs is off
// (docs/ARCHITECTURE.md section 6, steps 6 to 8 and 11).
import t from 'tap';
import { becomeProcess, sealProcess } from '../../src/launcher/stage/become-process';
import { StepError } from '../../src/launcher/stage/step';
import { capabilityNumber, wordsToCaps } from '../../src/security/capability-table';
import type { ArmedSeccomp } from '../../src/security/seccomp';
import type { InitProcess } from '../../src/stage-config/init-config';
import type { CapSets } from '../../src/sys/libc';
import {
  PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAP_AMBIENT_RAISE, PR_SET_DUMPABLE, PR_SET_KEEPCAPS,
  PR_SET_NO_NEW_PRIVS, S_IFREG,
} from '../../src/sys/constants';
import { SPEC_VERSION } from '../../src/spec/version';
import { FakeSys, type SysCall } from '../lib/fake-sys';

const CAP = (name: string): number => capabilityNumber(name) as number;
const KEPT = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const CAP_SYS_ADMIN = CAP('CAP_SYS_ADMIN');

function proc(over: Partial<InitProcess> = {}): InitProcess {
  return {
    args: ['sh'], env: ['PATH=/bin'], cwd: '/', uid: 1000, gid: 1000, additionalGids: [10, 20],
    rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
    capabilities: { bounding: KEPT, effective: KEPT, permitted: KEPT, inheritable: KEPT, ambient: ['CAP_KILL'] },
    noNewPrivileges: true, terminal: false, umask: 0o027, ...over,
  };
}

/** A filter ready to load without libseccomp's loader (the `program` path of loadSeccomp). */
function armed(): ArmedSeccomp {
  return {
    filter: { ctx: {}, skipped: [], notify: false, maxNr: -1, kernelFlags: 0, defaultAction: 'SCMP_ACT_ERRNO' },
    state: { ociVersion: SPEC_VERSION, id: 'c1', bundle: '/b' }, hostPid: 1, program: Buffer.alloc(8),
  };
}

function fake(): FakeSys {
  const f = new FakeSys();
  f.stats.set('/bin/sh', { mode: S_IFREG | 0o755, rdev: 0n });
  // capabilities(7): a switch from uid 0 to nonzero ids clears the effective set (with keepcaps,
  // the permitted set stays); the fake does what the kernel would.
  f.answer('setresuid', () => {
    f.caps = { ...f.caps, effective: [0, 0] };
  });
  return f;
}

/** The calls of the drop, one word each: "prctl:KEEPCAPS=1", "setresuid", ... */
function steps(f: FakeSys): string[] {
  const PR: Record<number, string> = {
    [PR_CAPBSET_DROP]: 'BSET_DROP', [PR_SET_KEEPCAPS]: 'KEEPCAPS', [PR_SET_DUMPABLE]: 'DUMPABLE',
    [PR_SET_NO_NEW_PRIVS]: 'NO_NEW_PRIVS', [PR_CAP_AMBIENT]: 'AMBIENT',
  };
  const out: string[] = [];
  for (const c of f.calls) {
    if (c.name === 'prctl') {
      const name = PR[c.args[0] as number];
      const word = name === 'BSET_DROP' ? name : name === 'AMBIENT' ? `AMBIENT:${c.args[1] === PR_CAP_AMBIENT_CLEAR_ALL ? 'clear' : c.args[1] === PR_CAP_AMBIENT_RAISE ? `raise ${c.args[2]}` : '?'}` : `${name}=${c.args[1]}`;
      // One entry for the whole run of bounding-set drops.
      if (out[out.length - 1] !== `prctl:${word}` || word !== 'BSET_DROP') out.push(`prctl:${word}`);
    } else if (['prlimit', 'setgroups', 'setresgid', 'setresuid', 'capset', 'umask', 'fchdir', 'seccompSetFilter', 'note'].includes(c.name)) {
      out.push(c.name === 'note' ? String(c.args[0]) : c.name);
    }
  }
  return out;
}

const effective = (c: SysCall): number[] => wordsToCaps((c.args[0] as CapSets).effective);

t.test('the drop in runc\'s order, no_new_privs before the seccomp load', async (t) => {
  const f = fake();
  const { executable, seal } = becomeProcess(f.sys, { proc: proc(), root: 3, lastCap: 40, seccomp: armed(), warn: () => {}, debug: () => {} });
  f.note('sealed next');
  sealProcess(f.sys, seal, 'created');
  t.equal(executable, '/bin/sh');
  t.same(steps(f), [
    'prlimit',                 // while CAP_SYS_RESOURCE is still held
    'prctl:BSET_DROP',         // needs CAP_SETPCAP: before the switch
    'prctl:KEEPCAPS=1',
    'setgroups',               // needs CAP_SETGID: before setresgid/setresuid
    'setresgid',
    'setresuid',
    'prctl:KEEPCAPS=0',
    'capset',                  // the sets after the switch
    'prctl:AMBIENT:clear',
    `prctl:AMBIENT:raise ${CAP('CAP_KILL')}`,
    'prctl:DUMPABLE=0',        // the uid change reset it
    'prctl:NO_NEW_PRIVS=1',
    'umask',
    'fchdir',                  // the cwd entered as the container user
    'sealed next',
    'seccompSetFilter',        // last
  ]);
  const drops = f.only('prctl').filter((c) => c.args[0] === PR_CAPBSET_DROP).map((c) => c.args[1] as number);
  t.equal(drops.length, 41 - KEPT.length, 'every capability up to cap_last_cap but the kept ones leaves the bounding set');
  t.notOk(KEPT.some((n) => drops.includes(CAP(n))));
  t.same(f.only('setgroups')[0].args[0], [10, 20]);
  t.same([f.only('setresgid')[0].args[0], f.only('setresuid')[0].args[0]], [1000, 1000]);
  t.same(f.only('prlimit')[0].args, [0, 7, 1024n, 1024n], 'RLIMIT_NOFILE of the calling process');
  t.same(f.only('umask')[0].args, [0o027]);
  t.same(effective(f.only('capset')[0]).sort((a, b) => a - b), KEPT.map(CAP).sort((a, b) => a - b), 'no CAP_SYS_ADMIN held: no_new_privs lets the load go without it');
  t.equal(f.only('capset').length, 1, 'nothing to release after the load');
});

t.test('without no_new_privs, CAP_SYS_ADMIN is held effective for the load and dropped right after it', async (t) => {
  const f = fake();
  const { seal } = becomeProcess(f.sys, { proc: proc({ noNewPrivileges: false }), root: 3, lastCap: 40, seccomp: armed(), warn: () => {}, debug: () => {} });
  sealProcess(f.sys, seal, 'created');
  t.notOk(steps(f).includes('prctl:NO_NEW_PRIVS=1'));
  const capsets = f.only('capset');
  t.equal(capsets.length, 2);
  t.ok(effective(capsets[0]).includes(CAP_SYS_ADMIN), 'held for seccomp(2), which needs it without no_new_privs');
  t.notOk(effective(capsets[1]).includes(CAP_SYS_ADMIN), 'and gone from the final sets');
  const order = f.calls.map((c) => c.name);
  t.ok(order.indexOf('seccompSetFilter') < order.lastIndexOf('capset'), 'released after the load');
});

t.test('no capabilities in the config and no no_new_privs: only CAP_SYS_ADMIN is borrowed back for the load', async (t) => {
  const f = fake();
  const { seal } = becomeProcess(f.sys, { proc: proc({ noNewPrivileges: false, capabilities: undefined }), root: 3, lastCap: 40, seccomp: armed(), warn: () => {}, debug: () => {} });
  t.notOk(f.calls.some((c) => c.name === 'prctl' && c.args[0] === PR_CAPBSET_DROP), 'the bounding set is left alone');
  const before = f.only('capset');
  t.equal(before.length, 1);
  t.same(effective(before[0]), [CAP_SYS_ADMIN], 'the effective set the switch cleared, plus CAP_SYS_ADMIN');
  sealProcess(f.sys, seal, 'created');
  const after = f.only('capset');
  t.same(effective(after[1]), [], 'put back as the switch left it');
});

t.test('setresuid EPERM fails the user step: no capability set is applied after it', async (t) => {
  const f = fake().fail('setresuid', 'EPERM');
  const err = t.throws(() => becomeProcess(f.sys, { proc: proc(), root: 3, lastCap: 40, warn: () => {}, debug: () => {} })) as StepError;
  t.ok(err instanceof StepError, 'a named step');
  t.equal(err.step, 'user');
  t.match(err.message, 'setresuid: EPERM');
  const i = f.calls.findIndex((c) => c.name === 'setresuid');
  t.same(f.calls.slice(i + 1), [], 'nothing after the failed switch');
});

t.test('a refused rlimit names the resource and its values', async (t) => {
  const f = fake().fail('prlimit', 'EPERM');
  const err = t.throws(() => becomeProcess(f.sys, { proc: proc(), root: 3, lastCap: 40, warn: () => {}, debug: () => {} })) as StepError;
  t.equal(err.step, 'rlimits');
  t.match(err.message, 'setrlimit RLIMIT_NOFILE 1024/1024: prlimit: EPERM');
  t.notOk(f.calls.some((c) => c.name === 'setresuid'), 'no uid switch after it');
});

t.test('a cwd the container user cannot enter fails the cwd step after the switch', async (t) => {
  const f = fake().fail('openat2', 'EACCES', (_fd: unknown, p: unknown) => p === 'srv');
  const err = t.throws(() => becomeProcess(f.sys, { proc: proc({ cwd: '/srv' }), root: 3, lastCap: 40, warn: () => {}, debug: () => {} })) as StepError;
  t.equal(err.step, 'cwd');
  t.match(err.message, 'openat2 /srv: EACCES');
  const names = f.calls.map((c) => c.name);
  t.ok(names.indexOf('setresuid') < names.indexOf('openat2'), 'looked up as the container user');
});
