// `update`: change the cgroup limits of a live container (runc update.go; not in the
// runtime-spec). The new values come as a linux.resources document (`--resources FILE|-`, what
// containerd sends) or as runc's flags; either way they are checked against the linux.resources
// schema, merged over the limits the container already has (kept in state.json, as runc keeps
// them in its state.json), and the merged set goes to the cgroup manager: several values only
// make sense together (memory limit and swap, cpu quota and period), so the controllers must see
// the current value of the ones not being changed.
import fs from 'node:fs';
import { cgroupManagerFor } from '../cgroups/manager';
import { CgroupError } from '../cgroups/errors';
import type { LinuxResources, LinuxThrottleDevice, LinuxWeightDevice } from '../spec/types';
import { validateConfig } from '../spec/generated/validators';
import { describeSchemaError } from '../spec/validate';
import { RuntimeError, SpecError, UsageError } from '../errors';
import { log } from '../log';
import { lockContainer } from '../state/lock';
import { readRecord, writeRecord } from '../state/store';
import { statusOf } from './state';
import { canUpdate } from '../state/status';
import type { GlobalOptions } from './context';
import { SPEC_VERSION } from '../spec/version';


// --- memory sizes -------------------------------------------------------------------------------

const BINARY_UNITS: Readonly<Record<string, number>> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/**
 * A memory size in bytes, read the way runc reads --memory (docker/go-units RAMInBytes): a
 * non-negative decimal number, an optional space, then an optional unit among b, k, m, g, t, p
 * (binary: 1k = 1024), case-insensitive, optionally followed by "b" or "ib" ("512m", "1.5GiB",
 * "100 KB", "4096"). Fractions are truncated to whole bytes, as go-units does.
 */
export function ramInBytes(text: string): number {
  const m = /^(\d+(?:\.\d*)?|\.\d+) ?([a-zA-Z]*)$/.exec(text);
  if (!m) throw new UsageError(`invalid size: '${text}'`);
  const suffix = m[2].toLowerCase();
  let mul = 1;
  if (suffix !== '' && suffix !== 'b') {
    const unit = BINARY_UNITS[suffix[0]];
    if (unit === undefined || !['', 'b', 'ib'].includes(suffix.slice(1))) throw new UsageError(`invalid suffix: '${m[2]}'`);
    mul = unit;
  }
  const bytes = Math.trunc(Number(m[1]) * mul);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`invalid size: '${text}' (too large)`);
  return bytes;
}

// --- runc's flags -------------------------------------------------------------------------------

/** The update flags that take a value (runc update.go), in the order its help lists them. */
export const UPDATE_FLAGS = [
  'blkio-weight', 'cpu-period', 'cpu-quota', 'cpu-burst', 'cpu-share', 'cpu-rt-period', 'cpu-rt-runtime',
  'cpuset-cpus', 'cpuset-mems', 'cpu-idle', 'kernel-memory', 'kernel-memory-tcp', 'memory', 'memory-reservation',
  'memory-swap', 'pids-limit', 'l3-cache-schema', 'mem-bw-schema',
] as const;
export type UpdateFlag = (typeof UPDATE_FLAGS)[number];

function intFlag(name: string, value: string, signed: boolean): number {
  const re = signed ? /^[+-]?\d+$/ : /^\+?\d+$/;
  const n = Number(value);
  if (!re.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`invalid value "${value}" for flag --${name}: not ${signed ? 'an' : 'a non-negative'} integer`);
  }
  return n;
}

function memFlag(name: string, value: string): number {
  if (value === '-1') return -1; // runc: "-1" means unlimited, every other value is a size
  try {
    return ramInBytes(value);
  } catch (e) {
    throw new UsageError(`invalid value for ${name}: ${(e as Error).message}`);
  }
}

/**
 * The resources runc's flags ask for (only the flags that are set; runc skips a blkio weight of
 * 0 and empty cpuset strings the same way). Intel RDT flags are refused: tsrun has no intelRdt
 * support, and runc refuses them too on a host without it.
 */
export function resourcesFromFlags(flags: Partial<Record<UpdateFlag, string>>): LinuxResources {
  if (flags['l3-cache-schema']) throw new RuntimeError('unsupported', 'Intel RDT/CAT: l3 cache schema is not supported by tsrun');
  if (flags['mem-bw-schema']) throw new RuntimeError('unsupported', 'Intel RDT/MBA: memory bandwidth schema is not supported by tsrun');
  const r: Required<Pick<LinuxResources, 'memory' | 'cpu' | 'blockIO'>> & LinuxResources = { memory: {}, cpu: {}, blockIO: {} };
  const set = (name: UpdateFlag, fn: (v: string) => void): void => {
    const v = flags[name];
    if (v !== undefined && v !== '') fn(v);
  };
  set('blkio-weight', (v) => {
    const w = intFlag('blkio-weight', v, false);
    if (w !== 0) r.blockIO.weight = w;
  });
  set('cpuset-cpus', (v) => (r.cpu.cpus = v));
  set('cpuset-mems', (v) => (r.cpu.mems = v));
  set('cpu-idle', (v) => (r.cpu.idle = intFlag('cpu-idle', v, true)));
  set('cpu-burst', (v) => (r.cpu.burst = intFlag('cpu-burst', v, false)));
  set('cpu-period', (v) => (r.cpu.period = intFlag('cpu-period', v, false)));
  set('cpu-rt-period', (v) => (r.cpu.realtimePeriod = intFlag('cpu-rt-period', v, false)));
  set('cpu-share', (v) => (r.cpu.shares = intFlag('cpu-share', v, false)));
  set('cpu-quota', (v) => (r.cpu.quota = intFlag('cpu-quota', v, true)));
  set('cpu-rt-runtime', (v) => (r.cpu.realtimeRuntime = intFlag('cpu-rt-runtime', v, true)));
  set('memory', (v) => (r.memory.limit = memFlag('memory', v)));
  set('memory-swap', (v) => (r.memory.swap = memFlag('memory-swap', v)));
  set('memory-reservation', (v) => (r.memory.reservation = memFlag('memory-reservation', v)));
  set('kernel-memory', (v) => (r.memory.kernel = memFlag('kernel-memory', v)));
  set('kernel-memory-tcp', (v) => (r.memory.kernelTCP = memFlag('kernel-memory-tcp', v)));
  set('pids-limit', (v) => (r.pids = { limit: intFlag('pids-limit', v, true) }));
  return pruneEmpty(r);
}

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

/** Parses the text of `--resources` (a linux.resources JSON object). */
export function parseResourcesJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SpecError('', `${source}: invalid JSON: ${(e as Error).message}`, 'invalid-resources');
  }
}

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

/** Reads `--resources` from a file, or stdin for "-" (containerd: `update --resources -`). */
export function readResourcesSource(source: string): unknown {
  let text: string;
  try {
    text = source === '-' ? readStdin() : fs.readFileSync(source, 'utf8');
  } catch (e) {
    throw new RuntimeError('resources', `read ${source === '-' ? 'stdin' : source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseResourcesJson(text, source === '-' ? 'stdin' : source);
}

/** All of stdin; waits through EAGAIN when fd 0 was inherited in non-blocking mode. */
function readStdin(): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

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
