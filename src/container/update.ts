// `update`: change the cgroup limits of a live container (runc update.go; not in the
// runtime-spec). The new values come as a linux.resources document (`--resources FILE|-`, what
// containerd sends) or as runc's flags (both read in src/cli/update-flags.ts); either way they
// are checked against the linux.resources schema, merged over the limits the container already has (kept in state.json, as runc keeps
// them in its state.json), and the merged set goes to the cgroup manager: several values only
// make sense together (memory limit and swap, cpu quota and period), so the controllers must see
// the current value of the ones not being changed.
import { cgroupManagerFor } from '../cgroups/manager';
import { CgroupError } from '../cgroups/errors';
import type { LinuxResources, LinuxThrottleDevice, LinuxWeightDevice } from '../spec/types';
import { validateConfig } from '../spec/generated/validators';
import { describeSchemaError } from '../spec/validate';
import { SpecError } from '../errors';
import { log } from '../log';
import { lockContainer } from '../state/lock';
import { readRecord, writeRecord } from '../state/store';
import { statusOf } from './state';
import { canUpdate } from '../state/status';
import type { GlobalOptions } from './context';
import { SPEC_VERSION } from '../spec/version';

function pruneEmpty(r: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as LinuxResources;
}

// --- the resources document ---------------------------------------------------------------------

/**
 * Checks a linux.resources document against schemas/config-linux-resources.json. The generated
 * validators have no entry point for that sub-schema alone, so the document is placed in the
 * smallest config.json the schema accepts and only the schema validator is run: validateSpec()
 * would add the semantic checks and the unsupported-field refusals, which judge a whole config
 * (and refuse resources the cgroup manager may implement by now). The manager's set() is the
 * judge of what this host can apply. Errors carry the spec's pointer: /linux/resources/...
 */
export function validateResources(doc: unknown): LinuxResources {
  const minimal = { ociVersion: SPEC_VERSION, root: { path: 'rootfs' }, linux: { resources: doc } };
  if (validateConfig(minimal)) return doc as LinuxResources;
  const errors = validateConfig.errors ?? [];
  const first = errors.find((e) => e.keyword !== 'if') ?? errors[0];
  if (!first) throw new SpecError('/linux/resources', 'is invalid', 'invalid-resources');
  const [pointer, message] = describeSchemaError(first);
  throw new SpecError(pointer, message, 'invalid-resources');
}

// --- merging ------------------------------------------------------------------------------------

type Keyed = { major: number; minor: number };
/** Index of the last entry for the same major:minor (runc walks backwards: with duplicates the last one counts). */
function lastSameDevice(list: readonly Keyed[], d: Keyed): number {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].major === d.major && list[i].minor === d.minor) return i;
  return -1;
}

/** Per-device weights: a new entry updates the weights it names of the same major:minor, or is appended (runc upsertWeightDevice). */
function upsertWeights(base: LinuxWeightDevice[] | undefined, add: LinuxWeightDevice[] | undefined): LinuxWeightDevice[] | undefined {
  if (!add) return base;
  const out = (base ?? []).map((d) => ({ ...d }));
  for (const d of add) {
    const at = lastSameDevice(out, d);
    if (at < 0) out.push({ ...d });
    else out[at] = { ...out[at], ...(d.weight !== undefined ? { weight: d.weight } : {}), ...(d.leafWeight !== undefined ? { leafWeight: d.leafWeight } : {}) };
  }
  return out;
}

/** Throttles: the rate of the same major:minor is replaced, a new device appended (runc upsertThrottleDevice). */
function upsertThrottles(base: LinuxThrottleDevice[] | undefined, add: LinuxThrottleDevice[] | undefined): LinuxThrottleDevice[] | undefined {
  if (!add) return base;
  const out = (base ?? []).map((d) => ({ ...d }));
  for (const d of add) {
    const at = lastSameDevice(out, d);
    if (at < 0) out.push({ ...d });
    else out[at] = { ...out[at], rate: d.rate };
  }
  return out;
}

function upsertBy<T>(base: T[] | undefined, add: T[] | undefined, key: (x: T) => string): T[] | undefined {
  if (!add) return base;
  const out = [...(base ?? [])];
  for (const x of add) {
    const at = out.findIndex((y) => key(y) === key(x));
    if (at < 0) out.push(x);
    else out[at] = x;
  }
  return out;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `delta` over `base`, field by field: a value given replaces the old one, an omitted one keeps
 * it (so `--cpu-quota` alone keeps the period, as runc does), lists keyed by device or name are
 * upserted. `devices` is not merged: runc's update never changes the device rules (its SkipDevices),
 * and rewriting the v1 rules would briefly deny every device to the running container.
 * memory.kernel is dropped with runc's warning (the kernel no longer enforces kmem.limit_in_bytes,
 * see src/cgroups/v1/memory.ts); memory.kernelTCP is merged like any limit and the cgroup manager
 * applies it where the kernel can (v1 memory.kmem.tcp.limit_in_bytes) or warns.
 * memory.checkBeforeUpdate applies to the update that carries it only.
 */
export function mergeResources(base: LinuxResources, delta: LinuxResources, warn: (m: string) => void = () => {}): LinuxResources {
  const memory = delta.memory ? { ...delta.memory } : undefined;
  if (memory && memory.kernel !== undefined) {
    warn('Kernel memory settings are ignored and will be removed');
    delete memory.kernel;
  }
  // "memory -1, swap not given": unlimited memory with a limited memory+swap is a contradiction
  // the v1 kernel refuses (memsw must be >= the memory limit), so both become unlimited, as
  // runc's v1 driver does.
  if (memory?.limit === -1 && memory.swap === undefined) memory.swap = -1;
  // checkBeforeUpdate guards one update, the one that asks for it (runc resets it to false on
  // every update), so an earlier update's value is not carried over.
  const { checkBeforeUpdate: _once, ...baseMemory } = base.memory ?? {};
  if (delta.devices) log.debug('update: linux.resources.devices is ignored (the device rules are fixed at create)');
  const blockIO = delta.blockIO
    ? defined({
        ...base.blockIO,
        ...defined({ weight: delta.blockIO.weight, leafWeight: delta.blockIO.leafWeight }),
        weightDevice: upsertWeights(base.blockIO?.weightDevice, delta.blockIO.weightDevice),
        throttleReadBpsDevice: upsertThrottles(base.blockIO?.throttleReadBpsDevice, delta.blockIO.throttleReadBpsDevice),
        throttleWriteBpsDevice: upsertThrottles(base.blockIO?.throttleWriteBpsDevice, delta.blockIO.throttleWriteBpsDevice),
        throttleReadIOPSDevice: upsertThrottles(base.blockIO?.throttleReadIOPSDevice, delta.blockIO.throttleReadIOPSDevice),
        throttleWriteIOPSDevice: upsertThrottles(base.blockIO?.throttleWriteIOPSDevice, delta.blockIO.throttleWriteIOPSDevice),
      })
    : base.blockIO;
  const network = delta.network
    ? defined({
        ...base.network,
        ...defined({ classID: delta.network.classID }),
        priorities: upsertBy(base.network?.priorities, delta.network.priorities, (p) => p.name),
      })
    : base.network;
  return pruneEmpty(
    defined({
      devices: base.devices,
      memory: memory || base.memory ? { ...baseMemory, ...defined(memory ?? {}) } : undefined,
      cpu: delta.cpu ? { ...base.cpu, ...defined(delta.cpu) } : base.cpu,
      pids: delta.pids ?? base.pids,
      blockIO,
      hugepageLimits: upsertBy(base.hugepageLimits, delta.hugepageLimits, (h) => h.pageSize),
      network,
      rdma: delta.rdma ? { ...base.rdma, ...delta.rdma } : base.rdma,
      unified: delta.unified ? { ...base.unified, ...delta.unified } : base.unified,
    }),
  );
}

/** The merged resources without the device rules (never rewritten by update, see mergeResources). */
function withoutDevices(r: LinuxResources): LinuxResources {
  const { devices: _devices, ...rest } = r;
  return rest;
}

// --- the verb -----------------------------------------------------------------------------------

/**
 * Applies `delta` (already validated) to the container's cgroup and records the merged limits.
 * Only a created, running or paused container (runc: ErrNotRunning for a stopped one).
 */
export function updateContainer(g: GlobalOptions, id: string, delta: LinuxResources): LinuxResources {
  const unlock = lockContainer(g.root, id);
  try {
    const rec = readRecord(g.root, id);
    const refused = canUpdate(statusOf(g, rec));
    if (refused) throw refused;
    if (!rec.cgroup) throw new CgroupError(`container ${id} has no cgroup recorded; its limits cannot change`, { code: 'cgroup-state' });
    const merged = mergeResources(rec.resources ?? {}, delta, (m) => log.warn(m));
    // set() refuses what this host or tsrun cannot apply before its first write; a value the
    // kernel itself rejects (EINVAL on one file) can still leave earlier files written, so the
    // record is only updated after set() succeeded.
    cgroupManagerFor({ id: rec.id, created: rec.cgroup }).set(withoutDevices(merged), (m) => log.warn(m));
    rec.resources = merged;
    writeRecord(g.root, rec);
    return merged;
  } finally {
    unlock();
  }
}
