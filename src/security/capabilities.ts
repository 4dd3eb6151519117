// Capabilities of the container process (runtime-spec config.md "process.capabilities";
// capabilities(7)). All of it acts on the calling thread: the init stage's main thread, the one
// that later calls execve.
import type { Sys } from '../sys/sys';
import { PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAP_AMBIENT_RAISE } from '../sys/constants';
import { capabilityName, capsToWords, parseCapabilities } from './capability-table';
import type { LinuxCapabilities } from '../spec/types';

export interface CapPlan {
  bounding: number[];
  effective: number[];
  permitted: number[];
  inheritable: number[];
  ambient: number[];
  /** What the config asked for and cannot have: warnings (config.md: never failures). */
  warnings: string[];
  /** What runc leaves out without a word (ambient capabilities the kernel cannot raise): debug lines. */
  debug: string[];
}

/** /proc/sys/kernel/cap_last_cap: the highest capability this kernel knows. */
export function readLastCap(sys: Sys): number {
  try {
    return Number(sys.readFile('/proc/sys/kernel/cap_last_cap').trim());
  } catch {
    return 40;
  }
}

/** Resolves names to numbers; the spec says unknown or ungrantable ones are a warning (config.md). */
export function planCapabilities(caps: LinuxCapabilities, lastCap: number, held?: readonly number[]): CapPlan {
  const warnings: string[] = [];
  const debug: string[] = [];
  const sets = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;
  const out: Partial<CapPlan> = {};
  for (const s of sets) {
    const { known, unknown } = parseCapabilities(caps[s] ?? []);
    for (const u of unknown) warnings.push(`unknown capability ${JSON.stringify(u)} in ${s} set ignored`);
    let usable = known.filter((n) => n <= lastCap);
    if (usable.length !== known.length) warnings.push(`capabilities above cap_last_cap (${lastCap}) in ${s} set ignored`);
    // A capability the runtime itself does not hold cannot be granted (capset(2): EPERM); on this
    // kind of host CAP_SYS_RESOURCE is outside the bounding set. config.md: warn, do not fail.
    if (held && s !== 'bounding') {
      const missing = usable.filter((n) => !held.includes(n));
      if (missing.length) {
        warnings.push(`${s} capabilities ${missing.map((c) => capabilityName(c) ?? String(c)).join(', ')} ignored: the runtime does not hold them`);
        usable = usable.filter((n) => held.includes(n));
      }
    }
    out[s] = usable;
  }
  const plan = out as Omit<CapPlan, 'warnings' | 'debug'>;
  // capset(2) refuses (EPERM) an inheritable capability outside the bounding set (which is dropped
  // first) and an effective one outside the permitted set. The spec says an ungrantable capability
  // is a warning, not a failure, so leave those out and say so (found by
  // test/integration/process.test.ts: such a config failed create with "capset: EPERM").
  const dropOutside = (set: 'inheritable' | 'effective', within: 'bounding' | 'permitted'): void => {
    const left = plan[set].filter((c) => !plan[within].includes(c));
    if (!left.length) return;
    warnings.push(`${set} capabilities ${left.map((c) => capabilityName(c) ?? String(c)).join(', ')} ignored: not in the ${within} set`);
    plan[set] = plan[set].filter((c) => plan[within].includes(c));
  };
  dropOutside('inheritable', 'bounding');
  dropOutside('effective', 'permitted');
  // capabilities(7): an ambient capability must be both permitted and inheritable, or the kernel
  // refuses to raise it (PR_CAP_AMBIENT_RAISE: EPERM). runc's default spec before v1.2 (which
  // `tsrun spec` writes) lists ambient capabilities with no inheritable set, so every container
  // made from it would print a warning. runc raises each ambient capability and ignores a failure
  // (libcontainer/capabilities/capabilities.go ApplyCaps: silently through gocapability up to
  // v1.2, a warning from v1.3, when its own default spec no longer lists them): leave it out and
  // say so at debug level only, so the default config runs quietly, as with the runc installed here.
  const grantable = plan.ambient.filter((c) => plan.permitted.includes(c) && plan.inheritable.includes(c));
  if (grantable.length !== plan.ambient.length) {
    const names = (caps.ambient ?? []).filter((n) => {
      const num = parseCapabilities([n]).known[0];
      return num !== undefined && !grantable.includes(num);
    });
    debug.push(`ambient capabilities ${names.join(', ')} not raised: not in both the permitted and inheritable sets`);
    plan.ambient = grantable;
  }
  return { ...plan, warnings, debug };
}

/** Step 1 (before the uid switch): drop from the bounding set what the config does not list. */
export function dropBoundingSet(sys: Sys, plan: CapPlan, lastCap: number): void {
  const keep = new Set(plan.bounding);
  for (let c = 0; c <= lastCap; c++) {
    if (!keep.has(c)) sys.prctl(PR_CAPBSET_DROP, c);
  }
}

/** Step 2 (after the uid switch, with keepcaps): the three capset(2) sets, then ambient. */
export function applyCapSets(sys: Sys, plan: CapPlan): void {
  sys.capset({
    effective: capsToWords(plan.effective),
    permitted: capsToWords(plan.permitted),
    inheritable: capsToWords(plan.inheritable),
  });
  // Ambient capabilities must also be permitted and inheritable (capabilities(7)); the kernel
  // refuses the raise otherwise, and so do we, loudly.
  sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0);
  for (const c of plan.ambient) sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c);
}

/** The plan with `cap` also permitted and effective (become-process.ts holds CAP_SYS_ADMIN so for
 *  the seccomp load without no_new_privs). The bounding set is not widened: permitted and
 *  effective may keep a capability the bounding set no longer has (capabilities(7)). */
export function withCapability(plan: CapPlan, cap: number): CapPlan {
  const add = (set: number[]): number[] => (set.includes(cap) ? set : [...set, cap]);
  return { ...plan, permitted: add(plan.permitted), effective: add(plan.effective) };
}
