// Reading and writing cgroup v1 control files the way the controllers need it: numbers (with the
// kernel's "max"), "key value" tables (memory.stat, cpu.stat, cpuacct.stat), files that only
// some kernels have, and writes whose kernel error deserves an explanation (EBUSY on a memory
// limit below the usage, EINVAL on a cpuset outside the parent's). All access goes through
// CgroupFs, so the fake cgroupfs can stand in for the kernel.
import path = require('node:path');
import { type CgroupFs, readCgroupFile, writeCgroupFile } from '../cgroupfs';
import { CgroupError, fsErrorCode } from '../errors';

/** Contents of `dir/name`, trimmed; undefined when the file does not exist (an optional kernel feature). */
export function readOptional(cfs: CgroupFs, dir: string, name: string): string | undefined {
  try {
    return cfs.read(path.join(dir, name)).trim();
  } catch (err) {
    const code = fsErrorCode(err);
    if (code === 'ENOENT') return undefined;
    throw new CgroupError(`read ${path.join(dir, name)}: ${code ?? String(err)}`, { path: path.join(dir, name), errnoCode: code, cause: err });
  }
}

/**
 * A counter or limit as the kernel prints it. "max" (pids.max, v2 files) reads as `maxValue`.
 * Values above 2^53 (an unlimited v1 memory limit is 9223372036854771712) keep only double
 * precision, which is what a JSON consumer of the stats gets anyway.
 */
function parseCounter(text: string, file: string, maxValue = 0): number {
  const t = text.trim();
  if (t === 'max') return maxValue;
  if (!/^-?[0-9]+$/.test(t)) throw new CgroupError(`${file}: expected a number, got ${JSON.stringify(t.slice(0, 40))}`, { path: file });
  return Number(t);
}

/** Number in `dir/name`; CgroupError when missing or malformed. */
export function readCounter(cfs: CgroupFs, dir: string, name: string, maxValue = 0): number {
  const file = path.join(dir, name);
  return parseCounter(readCgroupFile(cfs, file), file, maxValue);
}

/** Number in `dir/name`, or undefined when the kernel does not have that file. */
export function readOptionalCounter(cfs: CgroupFs, dir: string, name: string, maxValue = 0): number | undefined {
  const text = readOptional(cfs, dir, name);
  return text === undefined ? undefined : parseCounter(text, path.join(dir, name), maxValue);
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.oom_control) as a map; blank lines skipped. */
export function parseKeyValues(text: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 2) throw new CgroupError(`${file}: malformed line ${JSON.stringify(trimmed)}`, { path: file });
    out[fields[0]] = parseCounter(fields[1], file);
  }
  return out;
}

/** Space-separated numbers (cpuacct.usage_percpu). */
export function parseNumberList(text: string, file: string): number[] {
  return text.trim() === '' ? [] : text.trim().split(/\s+/).map((v) => parseCounter(v, file));
}

/**
 * Write `value` to `dir/name`. When the kernel refuses, `explain(errno)` may return a sentence
 * saying why in terms of the config; it is added to the error, which keeps file, value and errno.
 */
export function writeExplained(cfs: CgroupFs, dir: string, name: string, value: string, explain?: (errno: string | undefined) => string | undefined): void {
  try {
    writeCgroupFile(cfs, path.join(dir, name), value);
  } catch (err) {
    if (!(err instanceof CgroupError) || explain === undefined) throw err;
    const why = explain(err.errnoCode);
    if (why === undefined) throw err;
    throw new CgroupError(`${err.message}: ${why}`, { path: err.path, errnoCode: err.errnoCode, cause: err.cause, code: err.code });
  }
}

/** Whether `dir/name` exists (a control file that only some kernels or configurations provide). */
export function hasFile(cfs: CgroupFs, dir: string, name: string): boolean {
  return cfs.exists(path.join(dir, name));
}
