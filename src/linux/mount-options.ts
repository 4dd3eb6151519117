// Owns: the meaning of every string in a runtime-spec mount's `options` array, and the
// parser that folds such an array into mount(2) flags, propagation changes, mount_setattr(2)
// recursive attributes, runtime extensions and filesystem data. Pure data: no I/O.
//
// Source: runtime-spec v1.3.0 config.md "Mounts" (the option table under "Linux: options"),
// features.md `mountOptions`, mount(2), mount_setattr(2), mount(8). Where the spec leaves a
// choice, the behaviour follows runc's specconv.parseMountOptions: options are applied left
// to right, so a later option overrides an earlier one (`ro` then `rw` = rw).
import {
  MOUNT_ATTR__ATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODEV, MOUNT_ATTR_NODIRATIME, MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_RDONLY, MOUNT_ATTR_RELATIME, MOUNT_ATTR_STRICTATIME,
  MS_BIND, MS_DIRSYNC, MS_I_VERSION, MS_LAZYTIME, MS_MANDLOCK, MS_NOATIME, MS_NODEV, MS_NODIRATIME,
  MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_PRIVATE, MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT,
  MS_SHARED, MS_SILENT, MS_SLAVE, MS_STRICTATIME, MS_SYNCHRONOUS, MS_UNBINDABLE,
} from '../sys/constants';

/** What one option string does. */
export type MountOptionEffect =
  /** mount(2) flags: `set` is OR-ed in, `clear` is removed (and remembered in clearFlags). */
  | { readonly kind: 'flags'; readonly set: number; readonly clear: number }
  /** A propagation change, applied by a separate mount(2) call after the mount itself. */
  | { readonly kind: 'propagation'; readonly flag: number }
  /** mount_setattr(2) with AT_RECURSIVE: attr_set / attr_clr bits (kernel 5.12+). */
  | { readonly kind: 'recursive'; readonly set: number; readonly clear: number }
  /** Understood by the runtime itself, never passed to mount(2). */
  | { readonly kind: 'extension'; readonly name: 'tmpcopyup' | 'idmap' | 'ridmap' };

const flags = (set: number, clear = 0): MountOptionEffect => ({ kind: 'flags', set, clear });
const prop = (flag: number): MountOptionEffect => ({ kind: 'propagation', flag });
const rec = (set: number, clear = 0): MountOptionEffect => ({ kind: 'recursive', set, clear });

// Why the atime options clear their siblings: MS_NOATIME, MS_RELATIME and MS_STRICTATIME
// select one mode (mount(2): MS_STRICTATIME beats the others whatever their order), so
// picking a mode clears the other two; that makes "later overrides earlier" hold for them
// too, also on a bind remount that copies the source's flags.
const ATIME_MODES = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
const atimeMode = (mode: number): MountOptionEffect => flags(mode, ATIME_MODES & ~mode);

// mount_setattr(2): "the MOUNT_ATTR_<atime> values are an enum, not a bitmap ... users
// wanting to transition to a different atime setting cannot simply specify the atime setting
// in attr_set, but must also specify MOUNT_ATTR__ATIME in the attr_clr field", and clearing
// only part of MOUNT_ATTR__ATIME is EINVAL. So every recursive atime option replaces the
// whole field. The negative words cannot "clear one bit" (runc's table does that and gets
// EINVAL for ratime/rnostrictatime); they select a mode instead:
//   ratime, rnostrictatime -> relatime (the kernel default once noatime/strictatime is gone);
//   rnorelatime            -> strictatime (mount(8): norelatime points to strictatime).
const recAtime = (mode: number): MountOptionEffect => rec(mode, MOUNT_ATTR__ATIME);

/** The option table of config.md "Mounts", plus the runtime extensions tsrun implements. */
const MOUNT_OPTIONS: ReadonlyMap<string, MountOptionEffect> = new Map<string, MountOptionEffect>([
  // mount(2) flags (spec: MUST be supported).
  ['async', flags(0, MS_SYNCHRONOUS)],
  ['atime', flags(0, MS_NOATIME)],
  ['bind', flags(MS_BIND)],
  ['defaults', flags(0)], // mount(8) "defaults" = rw,suid,dev,exec,auto,nouser,async: nothing to set.
  ['dev', flags(0, MS_NODEV)],
  ['diratime', flags(0, MS_NODIRATIME)],
  ['dirsync', flags(MS_DIRSYNC)],
  ['exec', flags(0, MS_NOEXEC)],
  ['iversion', flags(MS_I_VERSION)],
  ['lazytime', flags(MS_LAZYTIME)],
  ['loud', flags(0, MS_SILENT)],
  ['noatime', atimeMode(MS_NOATIME)],
  ['nodev', flags(MS_NODEV)],
  ['nodiratime', flags(MS_NODIRATIME)],
  ['noexec', flags(MS_NOEXEC)],
  ['noiversion', flags(0, MS_I_VERSION)],
  ['nolazytime', flags(0, MS_LAZYTIME)],
  ['norelatime', flags(0, MS_RELATIME)],
  ['nostrictatime', flags(0, MS_STRICTATIME)],
  ['nosuid', flags(MS_NOSUID)],
  ['rbind', flags(MS_BIND | MS_REC)],
  ['relatime', atimeMode(MS_RELATIME)],
  ['remount', flags(MS_REMOUNT)],
  ['ro', flags(MS_RDONLY)],
  ['rw', flags(0, MS_RDONLY)],
  ['silent', flags(MS_SILENT)],
  ['strictatime', atimeMode(MS_STRICTATIME)],
  ['suid', flags(0, MS_NOSUID)],
  ['sync', flags(MS_SYNCHRONOUS)],
  // Spec: MAY. MS_MANDLOCK is ignored (with a kernel warning) since Linux 5.15.
  ['mand', flags(MS_MANDLOCK)],
  ['nomand', flags(0, MS_MANDLOCK)],
  // Spec: nosymfollow/symfollow, Linux 5.10+.
  ['nosymfollow', flags(MS_NOSYMFOLLOW)],
  ['symfollow', flags(0, MS_NOSYMFOLLOW)],
  // Propagation (spec: MUST); the r- forms add MS_REC (mount(2) "Changing the propagation type").
  ['private', prop(MS_PRIVATE)],
  ['rprivate', prop(MS_PRIVATE | MS_REC)],
  ['shared', prop(MS_SHARED)],
  ['rshared', prop(MS_SHARED | MS_REC)],
  ['slave', prop(MS_SLAVE)],
  ['rslave', prop(MS_SLAVE | MS_REC)],
  ['unbindable', prop(MS_UNBINDABLE)],
  ['runbindable', prop(MS_UNBINDABLE | MS_REC)],
  // Recursive attributes (spec: SHOULD, via mount_setattr(2) with AT_RECURSIVE).
  ['rro', rec(MOUNT_ATTR_RDONLY)],
  ['rrw', rec(0, MOUNT_ATTR_RDONLY)],
  ['rnosuid', rec(MOUNT_ATTR_NOSUID)],
  ['rsuid', rec(0, MOUNT_ATTR_NOSUID)],
  ['rnodev', rec(MOUNT_ATTR_NODEV)],
  ['rdev', rec(0, MOUNT_ATTR_NODEV)],
  ['rnoexec', rec(MOUNT_ATTR_NOEXEC)],
  ['rexec', rec(0, MOUNT_ATTR_NOEXEC)],
  ['rnodiratime', rec(MOUNT_ATTR_NODIRATIME)], // NODIRATIME is a plain flag, outside the atime field.
  ['rdiratime', rec(0, MOUNT_ATTR_NODIRATIME)],
  ['rnoatime', recAtime(MOUNT_ATTR_NOATIME)],
  ['ratime', recAtime(MOUNT_ATTR_RELATIME)],
  ['rrelatime', recAtime(MOUNT_ATTR_RELATIME)],
  ['rnorelatime', recAtime(MOUNT_ATTR_STRICTATIME)],
  ['rstrictatime', recAtime(MOUNT_ATTR_STRICTATIME)],
  ['rnostrictatime', recAtime(MOUNT_ATTR_RELATIME)],
  ['rnosymfollow', rec(MOUNT_ATTR_NOSYMFOLLOW)], // Linux 5.14+
  ['rsymfollow', rec(0, MOUNT_ATTR_NOSYMFOLLOW)],
  // Extensions (never in mount(2) data): tmpcopyup (spec: MAY) copies the directory's old
  // contents into a new tmpfs; idmap/ridmap [v1.2.0] ask for an ID-mapped mount.
  ['tmpcopyup', { kind: 'extension', name: 'tmpcopyup' }],
  ['idmap', { kind: 'extension', name: 'idmap' }],
  ['ridmap', { kind: 'extension', name: 'ridmap' }],
]);

/** Every option name tsrun recognises, sorted: the `mountOptions` of the features document. */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = Object.freeze([...MOUNT_OPTIONS.keys()].sort());

export function isKnownMountOption(name: string): boolean {
  return MOUNT_OPTIONS.has(name);
}

export interface ParsedMountOptions {
  /** MS_* flags to pass to mount(2) (includes MS_BIND/MS_REC for bind/rbind). */
  flags: number;
  /** MS_* flags the options explicitly turned off (so a bind remount must not copy them from the source). */
  clearFlags: number;
  /** Propagation flags (MS_SHARED etc., maybe | MS_REC), in option order, one mount(2) call each. */
  propagation: number[];
  /** mount_setattr(2) attr_set; apply only when recAttrSet or recAttrClr is non-zero. */
  recAttrSet: number;
  /** mount_setattr(2) attr_clr (has all of MOUNT_ATTR__ATIME whenever an atime option was given). */
  recAttrClr: number;
  /** Unrecognised options, in order: the filesystem-specific data, to be joined with ",". */
  data: string[];
  bind: boolean;
  recursiveBind: boolean;
  tmpcopyup: boolean;
  /** The last of idmap/ridmap given, or null. */
  idmap: null | 'idmap' | 'ridmap';
  /** Runtime-only options seen (tmpcopyup, idmap, ridmap), in first-seen order, no repeats. */
  extensions: string[];
}

/**
 * Fold a mount's `options` into what the mount code needs. Never throws: the spec says
 * unknown options SHOULD be passed as filesystem data (config.md "Mounts"), and the kernel
 * judges them. Empty strings mean nothing and are dropped rather than sent as ",,".
 */
export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  const out: ParsedMountOptions = {
    flags: 0, clearFlags: 0, propagation: [], recAttrSet: 0, recAttrClr: 0, data: [],
    bind: false, recursiveBind: false, tmpcopyup: false, idmap: null, extensions: [],
  };
  for (const option of options) {
    if (option === '') continue;
    const effect = MOUNT_OPTIONS.get(option);
    if (effect === undefined) {
      out.data.push(option);
      continue;
    }
    switch (effect.kind) {
      case 'flags':
        out.flags = (out.flags & ~effect.clear) | effect.set;
        out.clearFlags = (out.clearFlags & ~effect.set) | effect.clear;
        break;
      case 'propagation':
        out.propagation.push(effect.flag);
        break;
      case 'recursive':
        // A bit lands in both words only for the atime field, which the kernel requires.
        out.recAttrSet = (out.recAttrSet & ~effect.clear) | effect.set;
        out.recAttrClr = (out.recAttrClr & ~effect.set) | effect.clear;
        break;
      case 'extension':
        if (!out.extensions.includes(effect.name)) out.extensions.push(effect.name);
        if (effect.name === 'tmpcopyup') out.tmpcopyup = true;
        else out.idmap = effect.name;
        break;
    }
  }
  out.bind = (out.flags & MS_BIND) !== 0;
  out.recursiveBind = out.bind && (out.flags & MS_REC) !== 0;
  return out;
}

export type PropagationName =
  | 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave' | 'unbindable' | 'runbindable';

const PROPAGATION_NAMES: readonly PropagationName[] = [
  'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
];

export function isPropagationName(name: string): name is PropagationName {
  return (PROPAGATION_NAMES as readonly string[]).includes(name);
}

/** The mount(2) flag for a propagation name, e.g. for `linux.rootfsPropagation` (config-linux.md). */
export function propagationFlag(name: PropagationName): number {
  const effect = MOUNT_OPTIONS.get(name);
  if (effect?.kind !== 'propagation') throw new RangeError(`not a propagation type: ${String(name)}`);
  return effect.flag;
}
