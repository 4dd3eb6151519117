// Loads a bundle of dist/ as a CommonJS module compiled with a V8 code cache.
//
// Why: every tsrun command is a fresh Node process, and V8 parses and compiles each bundle again
// at each start (the create bundle is half a megabyte). A code cache (vm.Script cachedData) hands
// V8 the bytecode of an earlier run instead. Node 20 has no module.enableCompileCache, so the
// loader does what require() does for a .js file itself: wrap the source in the CommonJS function
// wrapper, compile it with vm.Script, call it with (exports, require, module, __filename,
// __dirname).
//
// The cache is an optimisation, never a dependency. Its file (<bundle>.cache, next to the bundle)
// starts with a header line: this format, Node's and V8's versions, the arch, the SHA-1 of the
// bundle bytes it was made from, the identity of that bundle file (device, inode, size, mtime,
// ctime), and whether the build or a run made it. A missing file, another Node or V8, another
// bundle, or data V8 rejects (cachedDataRejected: other V8 flags) only means compiling from
// source, as without a cache.
//
// The content hash is not recomputed at every start: loading node:crypto alone costs about 6 ms
// and hashing the create bundle in JS 4-5 ms, as much as the cache saves. While the file's
// identity is the one recorded, its bytes are the ones that were hashed: any write to it changes
// its mtime and ctime (and utimes cannot set ctime back), a replacement changes its inode. When
// the identity differs (a copy, a touch), a caller that may write hashes the bytes: same content,
// the cache is used and its header renewed; other content, it is stale. A stage never hashes.
//
// How warm a cache is matters as much as having one: V8 compiles most functions lazily, on first
// call, and createCachedData only holds those compiled so far. The build can only compile a
// bundle or run its top level (src/boot/warm-cache.ts); the first successful run of a CLI bundle
// rewrites that cache once, with everything the run compiled (for `run`, the config validators
// and the create path). The CLI (never a stage) also rewrites a missing, stale or rejected cache
// of its own bundle after the run (flushCodeCaches), and keeps the stages' caches usable for them
// (refreshStageCache). A directory we cannot write (a read-only install) is found out by the
// first step of a write, before the cache is serialised. Writes are atomic (temp file + rename):
// concurrent tsrun processes read a whole cache or none.
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');
// Types only (erased): the modules themselves are required where first needed.
import type * as Crypto from 'node:crypto';
import type * as NodeModule from 'node:module';
import { trace, traceOn } from '../trace';

const FORMAT = 'tsrun-v8-code-cache/1';
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/**
 * used: the cache, made by a run, was used. built: a cache made by the build was used (the CLI
 * replaces it after its first successful run). moved: used, but made from the same bytes in
 * another file (a copy, a touch), so it is rewritten. missing, stale, rejected: compiled from
 * source.
 */
export type CacheState = 'used' | 'built' | 'moved' | 'missing' | 'stale' | 'rejected';

/** Who made a cache: the build (from a compile or the top level) or a run of the CLI. */
export type Maker = 'build' | 'run';

export interface LoadOptions {
  /** Where the cache lives; default `<file>.cache`. */
  cacheFile?: string;
  /**
   * Whether this process may hash the bundle and (re)write its cache: true for the CLI; false for
   * the init and exec stages, which run from paths that vanish at pivot_root or from a namespace
   * where tsrun must not write.
   */
  write?: boolean;
}

export interface Loaded {
  exports: unknown;
  cache: CacheState;
}

/** The part of the header that must match: format, Node, V8, arch. */
export function runtimeKey(): string {
  return `${FORMAT} node=${process.version} v8=${process.versions.v8} arch=${process.arch}`;
}

/** The bundle file's identity: changes with any write to it or replacement of it. */
function identity(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

function sha1(bytes: Buffer): string {
  // Required here, not at the top: loading node:crypto costs ~6 ms, paid only when writing.
  return (require('node:crypto') as typeof Crypto).createHash('sha1').update(bytes).digest('hex');
}

/** The header line of a cache made from `bytes` (whose file had identity `id`). */
function cacheHeader(bytes: Buffer, id: string, made: Maker): string {
  return `${runtimeKey()} sha1=${sha1(bytes)} file=${id} made=${made}`;
}

/** Reads a bundle and its identity through one fd, so the two belong together. */
function readBundle(file: string): { bytes: Buffer; id: string } {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const bytes = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, bytes, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    // Shorter than fstat said: the file is being rewritten; the identity will not match later.
    return { bytes: off === size ? bytes : bytes.subarray(0, off), id: identity(st) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * createRequire for the bundle's directory. Taken from the Module class of the module running
 * this code rather than by loading node:module, which costs about 0.5 ms at start-up.
 */
function requireFor(file: string): NodeJS.Require {
  const Module = (typeof module === 'object' ? module.constructor : undefined) as { createRequire?: (f: string) => NodeJS.Require } | undefined;
  return (Module?.createRequire ?? (require('node:module') as typeof NodeModule).createRequire)(file);
}

/** The cached data for this bundle in `cacheFile`, or why there is none. */
function readCache(cacheFile: string, bytes: Buffer, id: string, mayHash: boolean): { data?: Buffer; state: CacheState } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(cacheFile);
  } catch {
    return { state: 'missing' };
  }
  const nl = buf.indexOf(10);
  // "<runtime key> sha1=<hex> file=<identity> made=<build|run>"
  const [key, hash, file, made] = nl < 0 ? [] : buf.toString('latin1', 0, nl).split(/ (?:sha1|file|made)=/);
  if (key !== runtimeKey() || hash === undefined || file === undefined || (made !== 'build' && made !== 'run')) return { state: 'stale' };
  if (file === id) return { data: buf.subarray(nl + 1), state: made === 'run' ? 'used' : 'built' };
  if (mayHash && sha1(bytes) === hash) return { data: buf.subarray(nl + 1), state: 'moved' };
  return { state: 'stale' };
}

/**
 * Writes the cache atomically; false (and nothing left behind) when it cannot. `data` is called
 * only once the temp file exists: serialising costs milliseconds, not spent for a read-only dir.
 */
function writeCache(cacheFile: string, header: string, data: () => Buffer): boolean {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    // O_EXCL: never through a symlink or into another process's temp file.
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      fs.writeFileSync(fd, Buffer.concat([Buffer.from(header + '\n', 'latin1'), data()]));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, cacheFile);
    return true;
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never made
    }
    return false;
  }
}

function compile(file: string, bytes: Buffer, cachedData?: Buffer): vm.Script {
  return new vm.Script(WRAP_HEAD + bytes.toString('utf8') + WRAP_TAIL, {
    filename: file,
    cachedData,
    // The bundles use no import(); should one ever, it resolves as it would under require().
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

/**
 * Writes `file`'s cache from a compile alone, without running it: for bundles whose top level
 * does the work (the dispatcher, the stages), at build time. Holds what V8 compiles eagerly.
 */
export function writeCompiledCache(bundle: string, cacheFile = `${bundle}.cache`): boolean {
  const file = path.resolve(bundle);
  const { bytes, id } = readBundle(file);
  return writeCache(cacheFile, cacheHeader(bytes, id, 'build'), () => compile(file, bytes).createCachedData());
}

/** dist/verbs/create.js rather than the whole path, for trace lines. */
function shortName(file: string): string {
  const i = file.lastIndexOf(`${path.sep}dist${path.sep}`);
  return i < 0 ? file : file.slice(i + 1);
}

/** Caches to write once the process's work is done, for each bundle whose cache was not used. */
const pending: { cacheFile: string; bytes: Buffer; id: string; script: vm.Script; state: CacheState }[] = [];

/** Requires `bundle` (a CommonJS file) through its code cache. */
export function loadBundle(bundle: string, opts: LoadOptions = {}): Loaded {
  const file = path.resolve(bundle);
  const cacheFile = opts.cacheFile ?? `${file}.cache`;
  const { bytes, id } = readBundle(file);
  const cached = readCache(cacheFile, bytes, id, opts.write === true);
  const script = compile(file, bytes, cached.data);
  const cache: CacheState = script.cachedDataRejected ? 'rejected' : cached.state;
  if (cache !== 'used' && opts.write) pending.push({ cacheFile, bytes, id, script, state: cache });
  if (traceOn()) trace(`compiled ${shortName(file)} (code cache ${cache})`);
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  fn.call(mod.exports, mod.exports, requireFor(file), mod, file, path.dirname(file));
  mod.loaded = true;
  // Module init: for a verb bundle, its modules' top levels (koffi is loaded there). A stage's
  // top level is the stage itself and never returns here.
  if (traceOn()) trace(`ran ${shortName(file)} top level`);
  return { exports: mod.exports, cache };
}

/**
 * Writes the caches of this process's bundles that were not made by a run, now that the run has
 * compiled what it needed (createCachedData includes the functions compiled so far). A cache the
 * build made is replaced only after a successful run (`succeeded`): a failure takes a short path
 * and would leave a colder cache in its place. Called by the CLI when its work is done; failures
 * are ignored (the cache is only an optimisation). `made`: 'build' for scripts/warm-code-cache.
 * Returns how many it wrote.
 */
export function flushCodeCaches(succeeded: boolean, made: Maker = 'run'): number {
  let n = 0;
  for (const p of pending.splice(0)) {
    if (p.state === 'built' && !succeeded) continue;
    const ok = writeCache(p.cacheFile, cacheHeader(p.bytes, p.id, made), () => p.script.createCachedData());
    if (ok) n++;
    if (traceOn()) trace(`${ok ? 'wrote' : 'could not write'} ${shortName(p.cacheFile)}`);
  }
  return n;
}

/** The first `max` bytes of a file (the header line of a cache), or undefined. */
function readHead(file: string, max = 512): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(max);
    return buf.subarray(0, fs.readSync(fd, buf, 0, max, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The CLI, for a stage's bundle, which it spawns but never loads itself: a stage only reads its
 * cache and never hashes, so the CLI (create, run, exec) keeps that cache usable for it, once its
 * own work is done. While the header names this Node and the bundle file's identity, this is one
 * open, a 512-byte read and a stat. When only the identity differs (an install by copy or from a
 * package: same bytes, other inode and times), the header is renewed after a hash. When the cache
 * is missing, stale or for another Node, it is rewritten from a compile of the bundle, provided
 * this process runs without V8 flags (a stage has none; a cache made under other flags would be
 * rejected there). Returns what it did; every failure is ignored (read-only install).
 */
export function refreshStageCache(bundle: string, cacheFile = `${bundle}.cache`): 'fresh' | 'renewed' | 'rewritten' | 'left' {
  try {
    const file = path.resolve(bundle);
    const head = readHead(cacheFile);
    const nl = head?.indexOf(10) ?? -1;
    const [key, hash, id] = head && nl > 0 ? head.toString('latin1', 0, nl).split(/ (?:sha1|file|made)=/) : [];
    if (key === runtimeKey() && id === identity(fs.statSync(file, { bigint: true }))) return 'fresh';
    const { bytes, id: now } = readBundle(file);
    let done: 'renewed' | 'rewritten' | 'left' = 'left';
    if (key === runtimeKey() && hash === sha1(bytes)) {
      const data = fs.readFileSync(cacheFile);
      const at = data.indexOf(10);
      if (writeCache(cacheFile, cacheHeader(bytes, now, 'build'), () => data.subarray(at + 1))) done = 'renewed';
    } else if (process.execArgv.length === 0 && !process.env.NODE_OPTIONS) {
      if (writeCache(cacheFile, cacheHeader(bytes, now, 'build'), () => compile(file, bytes).createCachedData())) done = 'rewritten';
    }
    if (traceOn()) trace(`stage cache ${shortName(cacheFile)}: ${done}`);
    return done;
  } catch {
    return 'left';
  }
}
