// Linux Security Module labels: process.apparmorProfile, process.selinuxLabel (config.md
// "Process") and linux.mountLabel (config-linux.md "Mount Label").
//
// - Host support is read at run time; a label for an LSM the host does not run is refused at
//   create with the field's pointer (runtime.md: a property that cannot be applied is an error;
//   runc refuses an AppArmor profile when AppArmor is off, "apparmor profile ... specified but
//   not supported").
// - Process labels are "exec" attributes: written to /proc/thread-self/attr/... they take effect
//   at the next execve(2) of that thread (proc(5) /proc/pid/attr/exec; apparmor change_onexec).
//   The init stage writes them as the last step of create, after everything else that could fail,
//   and nothing runs execve on that thread before the user program (final-exec.ts). Writing at
//   create rather than after `start` makes a refused label fail `create`, as runc's does.
// - mountLabel becomes `context="<label>"` in the data of each mount that takes it (mount(8)
//   SELinux options); proc, sysfs, cgroup and bind mounts do not (runc's mountToRootfs).
import fs = require('node:fs');
import { RuntimeError, UnsupportedError } from '../errors';
import type { InitMount } from '../stage-config/init-config';
import type { Spec } from '../spec/types';

export interface LsmPaths {
  /** AppArmor's module switch ("Y" when enabled). */
  apparmorEnabled: string;
  /** securityfs directory AppArmor registers when it is active. */
  apparmorSecurityfs: string;
  /** selinuxfs: present (with its "enforce" file) when SELinux is enabled. */
  selinuxEnforce: string;
}
const HOST_LSM_PATHS: LsmPaths = {
  apparmorEnabled: '/sys/module/apparmor/parameters/enabled',
  apparmorSecurityfs: '/sys/kernel/security/apparmor',
  selinuxEnforce: '/sys/fs/selinux/enforce',
};

export interface LsmStatus {
  apparmor: boolean;
  selinux: boolean;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Which LSMs the host runs. AppArmor: its securityfs directory exists and the module parameter
 * says Y (runc's apparmor.IsEnabled tests the same two). SELinux: selinuxfs is mounted
 * (go-selinux GetEnabled looks for the selinuxfs mount).
 */
export function lsmStatus(paths: LsmPaths = HOST_LSM_PATHS): LsmStatus {
  return {
    apparmor: fs.existsSync(paths.apparmorSecurityfs) && readOr(paths.apparmorEnabled).startsWith('Y'),
    selinux: fs.existsSync(paths.selinuxEnforce),
  };
}

/** Refuses, by pointer, every label whose LSM the host does not run (empty strings are "unset"). */
export function refuseUnavailableLsm(spec: Spec, status: LsmStatus): void {
  if (spec.process?.apparmorProfile && !status.apparmor) {
    throw new UnsupportedError('/process/apparmorProfile', 'cannot be applied: AppArmor is not enabled on this host');
  }
  if (spec.process?.selinuxLabel && !status.selinux) {
    throw new UnsupportedError('/process/selinuxLabel', 'cannot be applied: SELinux is not enabled on this host');
  }
  if (spec.linux?.mountLabel && !status.selinux) {
    throw new UnsupportedError('/linux/mountLabel', 'cannot be applied: SELinux is not enabled on this host');
  }
}

/** Mount types that take no `context=` option (runc mounts these without the label). */
const UNLABELLED_TYPES = new Set(['proc', 'sysfs', 'cgroup', 'cgroup2', 'mqueue', 'bind']);

/** The mounts with `context="<label>"` appended to the options of those that take one. */
export function labelMounts(mounts: InitMount[], label: string | undefined): InitMount[] {
  if (!label) return mounts;
  return mounts.map((m) => {
    const isBind = m.options.includes('bind') || m.options.includes('rbind');
    if (isBind || UNLABELLED_TYPES.has(m.type) || m.options.some((o) => o.startsWith('context='))) return m;
    // Quoted: an MLS label has commas ("s0:c1,c2"), and the option string is comma separated.
    return { ...m, options: [...m.options, `context="${label}"`] };
  });
}

// ---- the init stage ---------------------------------------------------------------------------

/** Where the exec attributes live; a parameter so tests can point them at plain files. */
export interface AttrPaths {
  /** AppArmor's own directory (Linux 5.8+, LSM stacking); preferred when it exists. */
  apparmorExec: string;
  /** The shared attribute (older AppArmor, and SELinux). */
  exec: string;
}
const THREAD_ATTR_PATHS: AttrPaths = {
  // thread-self: the attribute is per task, and the thread that calls execve is this one.
  apparmorExec: '/proc/thread-self/attr/apparmor/exec',
  exec: '/proc/thread-self/attr/exec',
};

/**
 * Writes one LSM attribute. The kernel takes the whole value in a single write(2) (a short or
 * split write is refused), so the value goes out as one buffer, and errors name the file.
 */
export function writeAttr(target: string, value: string): void {
  const fd = fs.openSync(target, fs.constants.O_WRONLY); // Node adds O_CLOEXEC; no O_CREAT/O_TRUNC on procfs
  try {
    const buf = Buffer.from(value);
    const n = fs.writeSync(fd, buf, 0, buf.length);
    if (n !== buf.length) throw new RuntimeError('lsm', `short write to ${target} (${n} of ${buf.length} bytes)`);
  } finally {
    fs.closeSync(fd);
  }
}

/** AppArmor: "exec <profile>" (apparmor change_onexec). */
export function applyApparmorProfile(profile: string, paths: AttrPaths = THREAD_ATTR_PATHS): void {
  const target = fs.existsSync(paths.apparmorExec) ? paths.apparmorExec : paths.exec;
  try {
    writeAttr(target, `exec ${profile}`);
  } catch (e) {
    throw new RuntimeError('lsm', `apparmor: cannot set profile "${profile}" for exec (${target}): ${(e as Error).message}`);
  }
}

/** SELinux: the context the next execve transitions to (setexeccon(3)). */
export function applySelinuxLabel(label: string, paths: AttrPaths = THREAD_ATTR_PATHS): void {
  try {
    writeAttr(paths.exec, label);
  } catch (e) {
    throw new RuntimeError('lsm', `selinux: cannot set exec label "${label}" (${paths.exec}): ${(e as Error).message}`);
  }
}

/** Both process labels, each when set. */
export function applyProcessLabels(p: { apparmorProfile?: string; selinuxLabel?: string }, paths: AttrPaths = THREAD_ATTR_PATHS): void {
  if (p.apparmorProfile) applyApparmorProfile(p.apparmorProfile, paths);
  if (p.selinuxLabel) applySelinuxLabel(p.selinuxLabel, paths);
}
