// Reading cgroup v2 interface files for stats (Documentation/admin-guide/cgroup-v2.rst
// "Interface Files"): single values ("123" or "max"), flat-keyed files ("key value" per line:
// memory.stat, memory.events, cpu.stat) and nested-keyed ones ("8:0 rbytes=1 wbytes=2": io.stat).
// Stats are best effort, like runc's GetStats: a file that does not exist (controller not enabled,
// older kernel) yields undefined and the caller leaves that part of Stats empty.
import type { CgroupFs } from '../cgroupfs';
import { CgroupError, fsErrorCode } from '../errors';

/**
 * How a "max" limit is reported. runc prints 2^64-1 there, which a JS number cannot carry (it
 * would serialise as 18446744073709552000 and overflow a Go uint64 on the reading side); the
 * largest exactly representable integer stays unmistakably "unlimited" and parses everywhere.
 */
export const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** File contents, or undefined when the file does not exist. */
export function readOptional(cfs: CgroupFs, file: string): string | undefined {
  try {
    return cfs.read(file);
  } catch (err) {
    const code = fsErrorCode(err);
    if (code === 'ENOENT' || code === 'ENODEV') return undefined;
    throw new CgroupError(`read ${file}: ${code ?? String(err)}`, { path: file, errnoCode: code, cause: err });
  }
}

/** A single value: "max" -> UNLIMITED, a number -> itself, anything else -> undefined. */
export function parseValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max') return UNLIMITED;
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** The value of a single-value file, or undefined. */
export function readValue(cfs: CgroupFs, file: string): number | undefined {
  return parseValue(readOptional(cfs, file));
}

/** "key value" lines -> record; lines that are not a key and an unsigned number are skipped. */
export function parseFlatKeyed(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+|max)$/.exec(line.trim());
    if (m !== null) out[m[1]] = m[2] === 'max' ? UNLIMITED : Number(m[2]);
  }
  return out;
}

/** A flat-keyed file, or undefined when it does not exist. */
export function readFlatKeyed(cfs: CgroupFs, file: string): Record<string, number> | undefined {
  return parseFlatKeyed(readOptional(cfs, file));
}
