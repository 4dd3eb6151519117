// koffi bindings to libseccomp (libseccomp.so.2): one thin wrapper per call of seccomp(3)'s API,
// loaded lazily so that a host without libseccomp only fails for configs that ask for seccomp.
// libseccomp reports errors as negative errno return values (not through errno): each wrapper
// turns them into SyscallError{syscall: "seccomp_<fn>", errno}. No policy here: what to add and
// when to load is src/security/seccomp.ts.
import { koffi, type Koffi } from './koffi';
import { RuntimeError, SyscallError } from '../errors';

type Lib = ReturnType<Koffi["load"]>;
type Fn = (...args: unknown[]) => unknown;

/** The opaque scmp_filter_ctx (a pointer owned by libseccomp). */
export type FilterCtx = object;

let lib: Lib | undefined;
let loadError: string | undefined;
const cache = new Map<string, Fn>();

const NOT_INSTALLED = 'libseccomp is not installed (libseccomp.so.2 could not be loaded; on Debian: apt-get install libseccomp2)';

function open(): Lib {
  if (lib) return lib;
  if (loadError !== undefined) throw new RuntimeError('seccomp-unavailable', `${NOT_INSTALLED}: ${loadError}`);
  try {
    lib = koffi().load('libseccomp.so.2');
    // struct scmp_arg_cmp (seccomp_rule_add(3)): the enum is an int, the datums are uint64.
    koffi().struct('tsrun_scmp_arg_cmp', { arg: 'uint32', op: 'int32', datum_a: 'uint64', datum_b: 'uint64' });
    koffi().struct('tsrun_scmp_version', { major: 'uint32', minor: 'uint32', micro: 'uint32' });
    return lib;
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
    throw new RuntimeError('seccomp-unavailable', `${NOT_INSTALLED}: ${loadError}`);
  }
}

function fn(proto: string): Fn {
  let f = cache.get(proto);
  if (!f) {
    f = open().func(proto) as Fn;
    cache.set(proto, f);
  }
  return f;
}

function check(name: string, ret: number): number {
  if (ret < 0) throw new SyscallError(name, -ret);
  return ret;
}

/** Does libseccomp.so.2 load on this host? Never throws. */
export function available(): boolean {
  try {
    open();
    return true;
  } catch {
    return false;
  }
}

export function version(): { major: number; minor: number; micro: number } {
  const v = fn('const tsrun_scmp_version *seccomp_version(void)')() as unknown;
  return koffi().decode(v, 'tsrun_scmp_version') as { major: number; minor: number; micro: number };
}

/** seccomp_init(3); null when libseccomp refuses the default action (unknown, or not in the kernel). */
export function init(defaultAction: number): FilterCtx | null {
  return (fn('void *seccomp_init(uint32_t def_action)')(defaultAction) as FilterCtx | null) ?? null;
}

export function release(ctx: FilterCtx): void {
  fn('void seccomp_release(void *ctx)')(ctx);
}

/** seccomp_arch_resolve_name(3): the arch token, 0 when libseccomp does not know the name. */
export function archResolveName(name: string): number {
  return fn('uint32_t seccomp_arch_resolve_name(const char *name)')(name) as number;
}
export function archNative(): number {
  return fn('uint32_t seccomp_arch_native(void)')() as number;
}
/** seccomp_arch_add(3); adding an arch already in the filter (the native one) is not an error. */
export function archAdd(ctx: FilterCtx, token: number): void {
  const r = fn('int seccomp_arch_add(void *ctx, uint32_t arch)')(ctx, token) as number;
  if (r === -17 /* EEXIST */) return;
  check('seccomp_arch_add', r);
}

/** seccomp_syscall_resolve_name(3): the native number (negative pseudo numbers for syscalls of
 *  other arches), or -1 (__NR_SCMP_ERROR) for a name libseccomp does not know. */
export function syscallResolveName(name: string): number {
  return fn('int seccomp_syscall_resolve_name(const char *name)')(name) as number;
}

export interface ArgCmp {
  arg: number;
  op: number;
  datumA: bigint;
  datumB: bigint;
}

/** seccomp_rule_add_array(3): one rule, its conditions ANDed. */
export function ruleAdd(ctx: FilterCtx, action: number, syscall: number, args: ArgCmp[]): void {
  open();
  const f = fn('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int cnt, const tsrun_scmp_arg_cmp *args)');
  const arr = args.map((a) => ({ arg: a.arg, op: a.op, datum_a: a.datumA, datum_b: a.datumB }));
  // koffi passes a JS array for a pointer-to-struct parameter as a temporary C array.
  check('seccomp_rule_add', f(ctx, action, syscall, arr.length, arr.length ? arr : null) as number);
}

/** seccomp_attr_set(3). */
export function attrSet(ctx: FilterCtx, attr: number, value: number): void {
  check('seccomp_attr_set', fn('int seccomp_attr_set(void *ctx, int attr, uint32_t value)')(ctx, attr, value) as number);
}

/** seccomp_load(3): installs the filter on the calling thread (every thread with TSYNC). */
export function load(ctx: FilterCtx): void {
  check('seccomp_load', fn('int seccomp_load(void *ctx)')(ctx) as number);
}

/** seccomp_notify_fd(3): the listener fd of a loaded filter that uses SCMP_ACT_NOTIFY. */
export function notifyFd(ctx: FilterCtx): number {
  return check('seccomp_notify_fd', fn('int seccomp_notify_fd(void *ctx)')(ctx) as number);
}

/** seccomp_export_bpf(3): writes the compiled BPF program to fd (for tests and debugging). */
export function exportBpf(ctx: FilterCtx, fd: number): void {
  check('seccomp_export_bpf', fn('int seccomp_export_bpf(void *ctx, int fd)')(ctx, fd) as number);
}
