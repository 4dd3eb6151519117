// Fields of runtime-spec v1.3.0 that tsrun does not implement yet. The spec says a runtime MUST
// generate an error for a property it cannot apply (config.md, runtime.md "Errors"), so these are
// refused by name at validation time instead of being silently ignored.
// The list is data: when a feature lands, delete its line from UNSUPPORTED (and add a test that
// the field now works).
import { UnsupportedError } from '../errors';
import type { Spec } from './types';

export interface UnsupportedRule {
  /** JSON pointer pattern; "*" matches any array index or object key at that level. */
  path: string;
  /** Extra condition on the value found there (default: the value is "set", see isSet). */
  when?: (value: unknown) => boolean;
  /** Message after the pointer (default: "is not supported by tsrun yet"). */
  what?: string;
}

export const UNSUPPORTED: readonly UnsupportedRule[] = [
  // Hooks: all six phases run (src/hooks/).
  // Process: terminal and consoleSize are applied (src/linux/pty.ts, --console-socket).
  // scheduler, ioPriority, execCPUAffinity, apparmorProfile, selinuxLabel, linux.personality,
  // linux.memoryPolicy and linux.mountLabel are applied (src/security/); the LSM labels are refused
  // at create when the host does not run that LSM (src/security/lsm.ts).
  // User namespaces and linux.uid/gidMappings are applied through the trampoline
  // (src/launcher/parent/trampoline.ts). Id-mapped mounts are applied to binds (src/linux/bind-tree.ts):
  // MOUNT_ATTR_IDMAP is set on a detached tree, which open_tree(2) makes from an existing mount;
  // a new filesystem (tmpfs, proc, ...) would need fsopen/fsmount, which tsrun does not use.
  { path: '/mounts/*', when: (v) => isIdmapped(v) && !isBindMount(v), what: 'id-mapped mounts (idmap, ridmap, uidMappings/gidMappings) are supported by tsrun for bind mounts only' },
  // Linux.
  { path: '/linux/intelRdt' },
  { path: '/linux/netDevices' },
  // cgroups: every linux.resources field is applied by the cgroup manager, which refuses what the
  // host layout lacks (the controllers' validate(), src/cgroups/controller.ts).
];

interface MountLike {
  type?: unknown;
  options?: unknown;
  uidMappings?: unknown;
  gidMappings?: unknown;
}

function optionsOf(v: MountLike): unknown[] {
  return Array.isArray(v.options) ? v.options : [];
}

/** Does a mounts entry ask for an id-mapped mount (an idmap/ridmap option, or mappings of its own)? */
function isIdmapped(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const m = v as MountLike;
  return optionsOf(m).some((o) => o === 'idmap' || o === 'ridmap') || isSet(m.uidMappings) || isSet(m.gidMappings);
}

/** A bind as convert.ts reads it: a bind/rbind option, or type "bind". */
function isBindMount(v: unknown): boolean {
  const m = v as MountLike;
  return m.type === 'bind' || optionsOf(m).some((o) => o === 'bind' || o === 'rbind');
}

/** "Set" means present with content: not null/undefined, false, "", [] or {}. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function decodeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}
function encodeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Every (pointer, value) the pattern matches in doc, in document order. */
export function matchPointer(doc: unknown, pattern: string): Array<[string, unknown]> {
  let found: Array<[string, unknown]> = [['', doc]];
  for (const raw of pattern.split('/').slice(1)) {
    const token = decodeToken(raw);
    const next: Array<[string, unknown]> = [];
    for (const [at, value] of found) {
      if (value === null || typeof value !== 'object') continue;
      const obj = value as Record<string, unknown>;
      const keys = token === '*' ? Object.keys(obj) : Object.prototype.hasOwnProperty.call(obj, token) ? [token] : [];
      for (const k of keys) next.push([`${at}/${encodeToken(k)}`, obj[k]]);
    }
    found = next;
  }
  return found;
}

/** Throws UnsupportedError for the first field in the spec that tsrun cannot apply yet. */
export function refuseUnsupported(spec: Spec): void {
  for (const rule of UNSUPPORTED) {
    for (const [pointer, value] of matchPointer(spec, rule.path)) {
      if (rule.when ? rule.when(value) : isSet(value)) {
        throw new UnsupportedError(pointer, rule.what);
      }
    }
  }
}
