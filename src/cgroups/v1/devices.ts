// cgroup v1 `devices` controller: linux.resources.devices (config-linux.md "Allowed Device
// list") written rule by rule to devices.allow / devices.deny, in config order, followed by the
// devices every container gets (DEFAULT_ALLOWED_DEVICES), as runc's specconv appends its
// AllowedDevices after the user's rules.
// Kernel format (Documentation/admin-guide/cgroup-v1/devices.rst): "<type> <major>:<minor> <access>",
// type a|c|b, "*" for any number, access a subset of "rwm"; one rule per write(2).
import path = require('node:path');
import { SpecError } from '../../errors';
import { type CgroupFs, writeCgroupFile } from '../cgroupfs';
import type { ResourceController } from '../controller';
import type { LinuxDeviceCgroup, LinuxResources } from '../types';

const POINTER = '/linux/resources/devices';

/** A rule of the default allow-list, with the /dev path it is for when there is one. */
export interface DefaultDeviceRule extends LinuxDeviceCgroup {
  readonly path?: string;
}

/**
 * Always allowed after the config's rules, so the /dev tsrun builds keeps working under a
 * deny-all config. The named nodes are the spec's "Default Devices" (config-linux.md) plus the
 * pts devices: /dev/console is a bind mount of the container's pty, so it is covered by 136:*,
 * not by the host console 5:1. The two mknod-only wildcards match runc: they let the init stage
 * mknod the linux.devices nodes, while reading or writing those still needs an explicit rule.
 * runc's tun/tap (10:200) entry is left out: the spec does not list it and runc's own comment
 * calls the extra entries questionable.
 */
export const DEFAULT_ALLOWED_DEVICES: readonly DefaultDeviceRule[] = Object.freeze([
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm', path: '/dev/null' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm', path: '/dev/zero' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm', path: '/dev/full' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm', path: '/dev/random' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm', path: '/dev/urandom' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm', path: '/dev/tty' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm', path: '/dev/ptmx' },
  { allow: true, type: 'c', major: 136, access: 'rwm', path: '/dev/pts/*' },
] as DefaultDeviceRule[]);

export interface DeviceWrite {
  file: 'devices.allow' | 'devices.deny';
  line: string;
}

function number(value: number | undefined, pointer: string): string {
  // Unset or -1 means "any" (the spec's Go types use -1 as the wildcard too).
  if (value === undefined || value === -1) return '*';
  if (!Number.isSafeInteger(value) || value < 0) throw new SpecError(pointer, `must be a device number >= 0 (or -1 for any), got ${String(value)}`);
  return String(value);
}

/** Canonical "rwm" subset; unset or empty = "rwm" (the whole device, as crun reads it). */
function accessOf(access: string | undefined, pointer: string): string {
  if (access === undefined || access === '') return 'rwm';
  if (!/^[rwm]+$/.test(access)) throw new SpecError(pointer, `must combine only "r", "w" and "m", got ${JSON.stringify(access)}`);
  // The kernel reads at most three characters ("rrw" would silently drop the "w"), so dedupe.
  return ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
}

/** Kernel writes for one rule; `index` < 0 marks a built-in rule (no config pointer). */
function ruleWrites(rule: LinuxDeviceCgroup, index: number): DeviceWrite[] {
  const at = index >= 0 ? `${POINTER}/${index}` : `${POINTER} (default rule)`;
  const type = rule.type ?? 'a';
  if (type !== 'a' && type !== 'c' && type !== 'b') {
    throw new SpecError(`${at}/type`, `must be "a", "c" or "b", got ${JSON.stringify(type)}`);
  }
  const major = number(rule.major, `${at}/major`);
  const minor = number(rule.minor, `${at}/minor`);
  const access = accessOf(rule.access, `${at}/access`);
  const file = rule.allow ? 'devices.allow' : 'devices.deny';
  if (type === 'a') {
    // The kernel treats any "a ..." line as "all devices, all access" and ignores the rest, so
    // only the full wildcard may be written as "a"; anything narrower becomes a char and a block rule.
    if (major === '*' && minor === '*' && access === 'rwm') return [{ file, line: 'a *:* rwm' }];
    return [
      { file, line: `c ${major}:${minor} ${access}` },
      { file, line: `b ${major}:${minor} ${access}` },
    ];
  }
  return [{ file, line: `${type} ${major}:${minor} ${access}` }];
}

/** Every write for `rules` in order, then the default allow-list. Validates before anything is written. */
export function deviceWrites(rules: readonly LinuxDeviceCgroup[]): DeviceWrite[] {
  return [
    // A new v1 devices cgroup inherits its parent's list (usually allow-all). Start from deny-all,
    // as runc does on v1 and tsrun's eBPF program does on v2, so both layouts mean the same thing.
    { file: 'devices.deny', line: 'a *:* rwm' },
    ...rules.flatMap((r, i) => ruleWrites(r, i)),
    ...DEFAULT_ALLOWED_DEVICES.flatMap((r) => ruleWrites(r, -1)),
  ];
}

export const devicesV1: ResourceController = {
  hierarchy: 'devices',
  pointer: POINTER,
  applies: (r: LinuxResources) => r.devices !== undefined,
  validate(r: LinuxResources): void {
    if (r.devices !== undefined && r.devices !== null) deviceWrites(r.devices);
  },
  write(cfs: CgroupFs, dir: string, r: LinuxResources): void {
    for (const w of deviceWrites(r.devices ?? [])) writeCgroupFile(cfs, path.join(dir, w.file), w.line);
  },
};
