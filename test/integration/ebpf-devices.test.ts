// The cgroup device eBPF program on this host's real cgroup2 hierarchy (needs root). On a hybrid
// host the unified mount carries no controllers, but BPF_CGROUP_DEVICE programs attached to one of
// its directories are enforced for every process in it, so the whole path (bpf(2) through koffi,
// the hand-assembled program, replace-on-update, release on rmdir) is checked for real here:
// a shell moved into the cgroup opens /dev/null but gets EPERM for /dev/full.
// Each test makes its own cgroup (tsrun-ebpf-test-<pid>-<n>) and removes it in t.teardown.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { applyDeviceRules, bpfDeviceFilterAttacher, buildDeviceFilter, emulateDeviceRules } from '../../src/cgroups/ebpf';
import { detectCgroupLayout } from '../../src/cgroups/detect';
import type { LinuxDeviceCgroup } from '../../src/cgroups/types';
import { SyscallError } from '../../src/errors';
import { BPF_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE, bpfProgGetFdById, bpfProgLoad, bpfProgQuery } from '../../src/sys/bpf';

function cgroup2Root(): string | undefined {
  try {
    return detectCgroupLayout().unified;
  } catch {
    return undefined;
  }
}

/** Why these tests cannot run here, or false. */
function skipReason(): string | false {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (bpf(2) and cgroup directories)';
  if (cgroup2Root() === undefined) return 'no cgroup2 hierarchy mounted';
  try {
    // "r0 = 1; exit": can this process load a cgroup device program at all?
    const fd = bpfProgLoad({ progType: BPF_PROG_TYPE_CGROUP_DEVICE, insns: Buffer.from('b4000000010000009500000000000000', 'hex'), license: 'Apache' });
    fs.closeSync(fd);
  } catch (err) {
    return `bpf(BPF_PROG_LOAD) is refused here: ${err instanceof Error ? err.message : String(err)}`;
  }
  return false;
}
const skip = skipReason();

let seq = 0;
/** A fresh cgroup2 directory, removed (after its processes) in teardown. */
function makeCgroup(t: Test): string {
  const dir = path.join(cgroup2Root() as string, `tsrun-ebpf-test-${process.pid}-${seq++}`);
  fs.mkdirSync(dir);
  t.teardown(async () => {
    const deadline = Date.now() + 3000;
    for (;;) {
      try {
        fs.rmdirSync(dir);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return dir;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `script` in a shell that joins `dir` (cgroup.procs) before it does anything. */
async function runIn(t: Test, dir: string, script: string): Promise<Result> {
  const child = spawn('sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
  child.stdin.end('go\n');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

function attachedIds(dir: string): number[] {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    return bpfProgQuery(fd, BPF_CGROUP_DEVICE);
  } finally {
    fs.closeSync(fd);
  }
}

const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: 'rwm' };
const ALLOW_NULL: LinuxDeviceCgroup = { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' };
const PROBE = 'cat /dev/null && echo null-ok; head -c1 /dev/full >/dev/null; echo "full=$?"';

t.test('a program denying /dev/full (c 1:7) and allowing /dev/null is enforced for a process in the cgroup', { skip }, async (t) => {
  const control = fs.openSync('/dev/full', 'r'); // /dev/full never ends: open and read one byte only
  t.equal(fs.readSync(control, Buffer.alloc(1)), 1, 'control: /dev/full reads fine outside the cgroup');
  fs.closeSync(control);
  const dir = makeCgroup(t);
  bpfDeviceFilterAttacher.attach(dir, buildDeviceFilter(emulateDeviceRules([DENY_ALL, ALLOW_NULL], { defaults: false })));
  t.equal(attachedIds(dir).length, 1, 'one BPF_CGROUP_DEVICE program attached');
  const r = await runIn(t, dir, PROBE);
  t.match(r.stdout, /null-ok/, '/dev/null opens');
  t.match(r.stdout, /full=1/, 'head fails on /dev/full');
  t.match(r.stderr, /\/dev\/full.*Operation not permitted/, 'with EPERM from the device program');
});

t.test('a second attach replaces the program (update) instead of stacking a second one', { skip }, async (t) => {
  const dir = makeCgroup(t);
  bpfDeviceFilterAttacher.attach(dir, buildDeviceFilter(emulateDeviceRules([DENY_ALL, ALLOW_NULL], { defaults: false })));
  const [first] = attachedIds(dir);
  bpfDeviceFilterAttacher.attach(dir, buildDeviceFilter(emulateDeviceRules([{ allow: true, access: 'rwm' }], { defaults: false })));
  const ids = attachedIds(dir);
  t.equal(ids.length, 1, 'still exactly one program');
  t.not(ids[0], first, 'and it is the new one');
  const r = await runIn(t, dir, PROBE);
  t.match(r.stdout, /null-ok/);
  t.match(r.stdout, /full=0/, '/dev/full is allowed again: the old deny is gone, not ANDed with the new program');
});

t.test('applyDeviceRules: config rules then the default devices; /dev/kmsg stays denied', { skip }, async (t) => {
  const dir = makeCgroup(t);
  applyDeviceRules(dir, [DENY_ALL], bpfDeviceFilterAttacher);
  const r = await runIn(t, dir, `${PROBE}; true < /dev/kmsg && echo kmsg-open || echo kmsg-denied; true < /dev/zero && echo zero-ok`);
  t.match(r.stdout, /null-ok/, '/dev/null is a default device');
  t.match(r.stdout, /full=0/, '/dev/full is a default device');
  t.match(r.stdout, /zero-ok/, '/dev/zero is a default device');
  t.match(r.stdout, /kmsg-denied/, '/dev/kmsg (c 1:11) is not');
});

t.test('the program is released when the cgroup is removed', { skip }, async (t) => {
  const dir = makeCgroup(t);
  applyDeviceRules(dir, [DENY_ALL], bpfDeviceFilterAttacher);
  const [id] = attachedIds(dir);
  fs.closeSync(bpfProgGetFdById(id)); // alive while attached
  fs.rmdirSync(dir);
  // cgroup_bpf_release runs from a workqueue once the cgroup is freed: poll briefly.
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    try {
      fs.closeSync(bpfProgGetFdById(id));
      await new Promise((r) => setTimeout(r, 20));
    } catch (err) {
      t.ok(err instanceof SyscallError && err.errnoCode === 'ENOENT', `gone: ${String(err)}`);
      gone = true;
    }
  }
  t.ok(gone, `program ${id} freed after rmdir`);
});
