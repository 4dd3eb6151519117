// The device allow-list as cgroup v1 would hold it, computed in memory so that cgroup v2 (which
// has no devices files, only an eBPF hook) behaves exactly like v1 for the same config, as
// runc's devices emulator guarantees for its devicefilter.
//
// Input: linux.resources.devices in config order, followed by DEFAULT_ALLOWED_DEVICES, both
// normalised by v1/devices.ts `deviceWrites` (the very lines v1 writes to devices.allow/deny, so
// the validation and the "narrow type a becomes c and b" rule are shared). Starting point: deny
// everything (runc's emulator starts in allow-list mode too; config-linux.md leaves the initial
// state to the runtime). Each line then changes the state the way the kernel's
// devcgroup_update_access() does (security/device_cgroup.c):
//   - "a *:* rwm" allow: default allow, exception list cleared; deny: default deny, cleared;
//   - an allow line when the default is deny (or a deny line when it is allow) adds its access to
//     the exception with the same type/major/minor, or appends a new one (dev_exception_add);
//   - an allow line when the default is allow (or deny when deny) removes its access bits from the
//     exception with exactly the same type/major/minor (dev_exception_rm); a rule never punches a
//     hole into a wider exception, so "deny c 1:3" after "allow c *:*" changes nothing, on v1 and here.
// deviceAllowed() is the kernel's permission check on that state (devcgroup_legacy_check_permission):
// default deny -> one exception must cover the whole request (match_exception); default allow ->
// no exception may overlap the request at all (match_exception_partial).
// Pure; unit-tested in test/unit/ebpf-device-filter.test.ts, where it is also the oracle the
// programs are checked against request by request.
import { SpecError } from '../../errors';
import type { LinuxDeviceCgroup } from '../types';
import { DEFAULT_ALLOWED_DEVICES, deviceWrites } from '../v1/devices';

/** BPF_DEVCG_ACC_* (uapi bpf.h): the access bits of a request, as the eBPF context encodes them. */
export const ACC_MKNOD = 1;
export const ACC_READ = 2;
export const ACC_WRITE = 4;
export const ACC_ALL = ACC_MKNOD | ACC_READ | ACC_WRITE;
/** BPF_DEVCG_DEV_* (uapi bpf.h). */
export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;

/** One exception of the list; major/minor -1 = any ("*"). */
export interface DeviceException {
  type: 'c' | 'b';
  major: number;
  minor: number;
  /** ACC_* bits. */
  access: number;
}

export interface DeviceCgroupState {
  /** true: everything allowed except the exceptions; false: nothing allowed except the exceptions. */
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

/** A request the kernel checks: a device node opened (read/write) or created (mknod). */
export interface DeviceRequest {
  type: 'c' | 'b';
  major: number;
  minor: number;
  access: number;
}

interface Line {
  allow: boolean;
  type: 'a' | 'c' | 'b';
  major: number;
  minor: number;
  access: number;
}

const POINTER = '/linux/resources/devices';
/** The eBPF program compares majors/minors as sign-extended 32-bit immediates; Linux dev_t numbers are far smaller (12/20 bits). */
const MAX_DEVICE_NUMBER = 0x7fffffff;

function accessBits(text: string): number {
  return (text.includes('r') ? ACC_READ : 0) | (text.includes('w') ? ACC_WRITE : 0) | (text.includes('m') ? ACC_MKNOD : 0);
}

function deviceNumber(text: string): number {
  if (text === '*') return -1;
  const n = Number(text);
  if (n > MAX_DEVICE_NUMBER) throw new SpecError(POINTER, `device number ${text} is too large for the cgroup v2 device filter (max ${MAX_DEVICE_NUMBER})`);
  return n;
}

/** "c 1:3 rwm" (the v1 kernel syntax deviceWrites produces) back into fields. */
function parseLine(file: string, line: string): Line {
  const m = /^([acb]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(line);
  if (m === null) throw new SpecError(POINTER, `internal: cannot read device rule ${JSON.stringify(line)}`);
  return { allow: file === 'devices.allow', type: m[1] as Line['type'], major: deviceNumber(m[2]), minor: deviceNumber(m[3]), access: accessBits(m[4]) };
}

const sameDevice = (e: DeviceException, l: Line) => e.type === l.type && e.major === l.major && e.minor === l.minor;

/** Apply one normalised line to the state, as the v1 kernel does. */
function applyLine(state: DeviceCgroupState, l: Line): void {
  if (l.type === 'a') {
    // deviceWrites only emits "a" as the full "a *:* rwm", which resets the whole list.
    state.defaultAllow = l.allow;
    state.exceptions = [];
    return;
  }
  if (l.allow !== state.defaultAllow) {
    const existing = state.exceptions.find((e) => sameDevice(e, l));
    if (existing) existing.access |= l.access;
    else state.exceptions.push({ type: l.type, major: l.major, minor: l.minor, access: l.access });
    return;
  }
  for (const e of state.exceptions) if (sameDevice(e, l)) e.access &= ~l.access;
  state.exceptions = state.exceptions.filter((e) => e.access !== 0);
}

export interface EmulateOptions {
  /** Append DEFAULT_ALLOWED_DEVICES after the config's rules (default true, as on v1). */
  defaults?: boolean;
}

/** The v1 device state for `rules` (config order), starting from deny-all. Validates every rule first. */
export function emulateDeviceRules(rules: readonly LinuxDeviceCgroup[], opts: EmulateOptions = {}): DeviceCgroupState {
  const all = deviceWrites(rules); // validates; leading deny-all, the rules, then the defaults
  // The defaults are the last DEFAULT_ALLOWED_DEVICES.length lines: each is a plain "c"/"b" rule,
  // one write each. (Not `deviceWrites([]).length`: that also counts the leading deny-all line.)
  const count = opts.defaults === false ? all.length - DEFAULT_ALLOWED_DEVICES.length : all.length;
  const lines = all.slice(0, count).map((w) => parseLine(w.file, w.line));
  const state: DeviceCgroupState = { defaultAllow: false, exceptions: [] };
  for (const l of lines) applyLine(state, l);
  return state;
}

const covers = (e: DeviceException, r: DeviceRequest) =>
  e.type === r.type && (e.major === -1 || e.major === r.major) && (e.minor === -1 || e.minor === r.minor);

/** The v1 kernel's answer for `req` on `state`: the reference the eBPF program must reproduce. */
export function deviceAllowed(state: DeviceCgroupState, req: DeviceRequest): boolean {
  if (state.defaultAllow) return !state.exceptions.some((e) => covers(e, req) && (e.access & req.access) !== 0);
  return state.exceptions.some((e) => covers(e, req) && (req.access & ~e.access) === 0);
}
