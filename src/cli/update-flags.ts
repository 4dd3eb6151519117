// The input side of `tsrun update` (runc update.go): runc's value flags (--memory 512m,
// --cpu-quota -1, ...) turned into a linux.resources delta, and the --resources document read
// from a file or stdin. What the delta does to a container is src/container/update.ts.
import fs = require('node:fs');
import { RuntimeError, SpecError, UsageError } from '../errors';
import type { LinuxResources } from '../spec/types';

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
  // Each group only once one of its flags is set: no flag, no (empty) object.
  const r: LinuxResources = {};
  const cpu = () => (r.cpu ??= {});
  const memory = () => (r.memory ??= {});
  const set = (name: UpdateFlag, fn: (v: string) => void): void => {
    const v = flags[name];
    if (v !== undefined && v !== '') fn(v);
  };
  set('blkio-weight', (v) => {
    const w = intFlag('blkio-weight', v, false);
    if (w !== 0) r.blockIO = { weight: w };
  });
  set('cpuset-cpus', (v) => (cpu().cpus = v));
  set('cpuset-mems', (v) => (cpu().mems = v));
  set('cpu-idle', (v) => (cpu().idle = intFlag('cpu-idle', v, true)));
  set('cpu-burst', (v) => (cpu().burst = intFlag('cpu-burst', v, false)));
  set('cpu-period', (v) => (cpu().period = intFlag('cpu-period', v, false)));
  set('cpu-rt-period', (v) => (cpu().realtimePeriod = intFlag('cpu-rt-period', v, false)));
  set('cpu-share', (v) => (cpu().shares = intFlag('cpu-share', v, false)));
  set('cpu-quota', (v) => (cpu().quota = intFlag('cpu-quota', v, true)));
  set('cpu-rt-runtime', (v) => (cpu().realtimeRuntime = intFlag('cpu-rt-runtime', v, true)));
  set('memory', (v) => (memory().limit = memFlag('memory', v)));
  set('memory-swap', (v) => (memory().swap = memFlag('memory-swap', v)));
  set('memory-reservation', (v) => (memory().reservation = memFlag('memory-reservation', v)));
  set('kernel-memory', (v) => (memory().kernel = memFlag('kernel-memory', v)));
  set('kernel-memory-tcp', (v) => (memory().kernelTCP = memFlag('kernel-memory-tcp', v)));
  set('pids-limit', (v) => (r.pids = { limit: intFlag('pids-limit', v, true) }));
  return r;
}

/**
 * `--flag value` -> `--flag=value` for the flags that take a value, so that a value starting with
 * '-' stays a value: `--memory -1`, `--cpu-quota -1`, `--pids-limit -1` (Go's flag package, which
 * runc uses, always takes the next argument; minimist would read "-1" as a flag).
 */
export function joinFlagValues(argv: readonly string[], valued: readonly string[]): string[] {
  const names = new Set(valued);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.replace(/^--?/, '');
    if (a.startsWith('-') && !a.includes('=') && names.has(name) && i + 1 < argv.length) {
      out.push(`${a}=${argv[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

// --- the resources document ---------------------------------------------------------------------

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

/** Parses the text of `--resources` (a linux.resources JSON object). */
export function parseResourcesJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SpecError('', `${source}: invalid JSON: ${(e as Error).message}`, 'invalid-resources');
  }
}
