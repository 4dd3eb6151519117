// The process `tsrun exec` starts, built as runc's exec builds it (runc exec.go getProcess): either
// the whole process.json given with --process (containerd and conmon write one), or the
// container's own config.json process (as stored at create: later edits of the bundle have no
// effect, runtime.md) with the command line's args and overrides.
import fs = require('node:fs');
import { FieldError, RuntimeError, SpecError, UsageError } from '../errors';
import { validateProcessDoc } from '../spec/validate-process';
import { processFor } from '../spec/convert';
import { planExecCpuAffinity } from '../security/cpu-affinity';
import { lsmStatus, refuseUnavailableLsm } from '../security/lsm';
import type { Process, Spec } from '../spec/types';
import type { ExecProcess } from '../stage-config/exec-config';

export interface ExecProcessFlags {
  processFile?: string;
  args: string[];
  cwd?: string;
  env: string[];
  /** "UID[:GID]" (numeric, as runc takes it). */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs?: boolean;
  tty: boolean;
  apparmor?: string;
  processLabel?: string;
}

function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`invalid ${what} "${text}": must be a non-negative integer`);
  return Number(text);
}

function readProcessFile(file: string): Process {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new RuntimeError('process', `read process file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Process;
  } catch (e) {
    throw new RuntimeError('process', `${file}: not valid JSON: ${(e as Error).message}`);
  }
}

/** The runc command-line overrides applied over the container's process. */
function withFlags(base: Process, f: ExecProcessFlags): Process {
  // runc fails here with exit status 255 like any exec failure, not as a usage error.
  if (f.args.length === 0) throw new RuntimeError('process', 'args must not be empty (give a command after the container id, or --process)');
  const p: Process = structuredClone(base);
  p.args = f.args;
  p.terminal = f.tty;
  if (f.env.length) p.env = [...(p.env ?? []), ...f.env];
  if (f.cwd !== undefined) p.cwd = f.cwd;
  if (f.user !== undefined) {
    const [uid, gid] = f.user.split(':', 2);
    p.user = { ...p.user, uid: parseId(uid, 'uid') };
    if (gid !== undefined) p.user.gid = parseId(gid, 'gid');
  }
  if (f.additionalGids.length) {
    p.user = { ...p.user, additionalGids: [...(p.user.additionalGids ?? []), ...f.additionalGids.map((g) => parseId(g, 'additional gid'))] };
  }
  if (f.caps.length) {
    // runc 1.1 adds each --cap to every set, so that an ambient capability is also permitted and
    // inheritable (capabilities(7): ambient must be a subset of both).
    const c = { ...(p.capabilities ?? {}) };
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) c[set] = [...(c[set] ?? []), ...f.caps];
    p.capabilities = c;
  }
  if (f.noNewPrivs) p.noNewPrivileges = true;
  if (f.apparmor !== undefined) p.apparmorProfile = f.apparmor;
  if (f.processLabel !== undefined) p.selinuxLabel = f.processLabel;
  return p;
}

/**
 * Validates the result with the config schema and the semantic checks (wrapped in a minimal
 * config document, so the messages carry /process/... pointers) and converts it.
 */
export function buildExecProcess(stored: Process | undefined, f: ExecProcessFlags): ExecProcess {
  let p: Process;
  if (f.processFile) {
    p = readProcessFile(f.processFile);
  } else {
    if (!stored) throw new RuntimeError('process', 'the container has no process in its config.json to base the exec on; use --process');
    p = withFlags(stored, f);
  }
  try {
    return checkedExecProcess(p);
  } catch (e) {
    if (e instanceof SpecError && f.processFile) throw new RuntimeError(e.code, `${f.processFile}: ${e.message}`);
    throw e;
  }
}

/**
 * A whole runtime-spec process document (a process.json, or the one containerd sends in
 * ExecProcessRequest.spec), validated and converted as `tsrun exec --process` takes it.
 */
export function checkedExecProcess(p: Process): ExecProcess {
  const doc: Spec = validateProcessDoc(p);
  // --apparmor / --process-label (or the process.json's labels) on a host without that LSM.
  refuseUnavailableLsm(doc, lsmStatus());
  const conv = processFor(doc);
  if (!conv) throw new RuntimeError('process', 'no process to exec');
  let cpuAffinityFinal: number[] | undefined;
  let cpuAffinityInitial: number[] | undefined;
  if (p.execCPUAffinity) {
    try {
      ({ initial: cpuAffinityInitial, final: cpuAffinityFinal } = planExecCpuAffinity(p.execCPUAffinity));
    } catch (e) {
      throw e instanceof FieldError ? e.at('/process/execCPUAffinity') : e;
    }
  }
  return { ...conv, terminal: p.terminal ?? false, consoleSize: p.consoleSize, cpuAffinityFinal, cpuAffinityInitial };
}
