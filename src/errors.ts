// The error types of tsrun. Every failure the runtime reports is a RuntimeError with a stable
// `code`; only src/cli prints errors and picks exit codes (docs/ARCHITECTURE.md section 4).
import { constants as osConstants } from 'node:os';

/**
 * Every `code` a RuntimeError can carry, so that a caller can switch on it (the compiler knows
 * the members). Grouped by who raises them; a new failure kind gets a member here.
 */
const ERROR_CODES = [
  // Input: the CLI, config.json and the other documents a verb reads.
  'usage', 'invalid-config', 'unsupported', 'invalid-json', 'invalid-resources', 'invalid-state',
  'invalid-features', 'config-not-found', 'config-unreadable', 'config-exists', 'bundle-not-found',
  'spec', 'rootfs-tar', 'resources', 'process', 'preserve-fds', 'pid-file',
  // Container state (state/): a status that forbids the verb, an id that is missing or taken.
  'bad-state', 'not-found', 'exists', 'state',
  // The kernel said no (SyscallError), or the init/exec stage reported a failure (StageError).
  'syscall', 'init-stage', 'protocol', 'spawn',
  // cgroups (CgroupError): the generic one, then a busy/frozen cgroup, a limit below the usage, a
  // controller the host lacks, a broken record, a feature the kernel lacks.
  'cgroup', 'cgroup-busy', 'cgroup-limit', 'cgroup-missing', 'cgroup-state', 'cgroup-unsupported',
  // Building the container and its process.
  'mount', 'rootfs', 'masked-paths', 'device', 'namespace', 'sysctl', 'rlimit', 'oom-score-adj', 'lsm',
  'seccomp', 'seccomp-unavailable', 'seccomp-listener', 'unsupported-arch', 'console', 'pty',
  // Verbs.
  'start', 'exec', 'ps', 'hook',
  // The containerd shim (src/shim/): its start and delete actions, its server.
  'shim',
  // A tsrun bug (an impossible state reached); reported like the others, never as a stack trace.
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether `code` (read from a stage's message, say) is one of ErrorCode's members. */
function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && ERROR_CODE_SET.has(code);
}

export class RuntimeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** config.json (or another input document) is malformed, invalid or asks for something unsupported. */
export class SpecError extends RuntimeError {
  /** JSON pointer of the offending value, e.g. "/process/cwd" ("" = whole document). */
  readonly pointer: string;
  constructor(pointer: string, message: string, code: ErrorCode = 'invalid-config') {
    super(code, pointer ? `${pointer}: ${message}` : message);
    this.pointer = pointer;
  }
}

/**
 * One field of an input object has a wrong value, told by code that does not know where that
 * object sits in the document (the memory-policy or CPU-list parsers, used by create's checks and
 * by exec). The caller that knows turns it into a SpecError with `at(pointer)`; the field is a
 * typed property, never recovered by splitting the message.
 */
export class FieldError extends RuntimeError {
  /** Name of the field inside the object ("nodes", "final"); "" = the value itself. */
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super('invalid-config', field ? `${field}: ${reason}` : reason);
    this.field = field;
    this.reason = reason;
  }

  /** The SpecError for this field of the object at `pointer`. */
  at(pointer: string): SpecError {
    return new SpecError(this.field ? `${pointer}/${this.field}` : pointer, this.reason);
  }

  /** The same reason, about `field` (a list parser's error placed at the field that held the list). */
  in(field: string): FieldError {
    return new FieldError(field, this.reason);
  }
}

/** A field the spec defines that tsrun does not implement yet: refused by name, never ignored. */
export class UnsupportedError extends SpecError {
  constructor(pointer: string, what = 'is not supported by tsrun yet') {
    super(pointer, what, 'unsupported');
  }
}

/** Bad CLI usage or arguments (wrong id, missing flag). */
export class UsageError extends RuntimeError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** The container is not in a state that allows the operation; runc reads "from X to Y". */
export class StateError extends RuntimeError {
  constructor(message: string, code: 'bad-state' | 'not-found' | 'exists' = 'bad-state') {
    super(code, message);
  }
}

const errnoNames = new Map<number, string>();
for (const [name, num] of Object.entries(osConstants.errno)) {
  if (!errnoNames.has(num)) errnoNames.set(num, name);
}
/** Name of an errno value ("ENOENT"), or "E<n>" when Node does not know it. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** A failed system call; `errno` is the raw value, `errnoCode` its name. */
export class SyscallError extends RuntimeError {
  readonly syscall: string;
  readonly errno: number;
  readonly errnoCode: string;
  readonly path?: string;
  constructor(syscall: string, errno: number, path?: string, detail?: string) {
    const code = errnoName(errno);
    const where = path ? ` ${path}` : '';
    super('syscall', `${syscall}${where}: ${detail ? detail + ': ' : ''}${code} (${describeErrno(errno)})`);
    this.syscall = syscall;
    this.errno = errno;
    this.errnoCode = code;
    this.path = path;
  }
}

/** An error reported by the init stage across the protocol, with the step it failed in. */
export class StageError extends RuntimeError {
  readonly step: string;
  readonly syscall?: string;
  readonly errno?: number;
  readonly path?: string;
  constructor(step: string, message: string, fields: { code?: string; syscall?: string; errno?: number; path?: string } = {}) {
    // The code crosses the stage protocol as a string: only a known member is kept.
    super(isErrorCode(fields.code) ? fields.code : 'init-stage', message);
    this.step = step;
    this.syscall = fields.syscall;
    this.errno = fields.errno;
    this.path = fields.path;
  }
}

const errnoText: Record<string, string> = {
  EPERM: 'operation not permitted', ENOENT: 'no such file or directory', ESRCH: 'no such process',
  EINTR: 'interrupted system call', EIO: 'input/output error', E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error', EBADF: 'bad file descriptor', ECHILD: 'no child processes',
  EAGAIN: 'resource temporarily unavailable', ENOMEM: 'cannot allocate memory', EACCES: 'permission denied',
  EFAULT: 'bad address', EBUSY: 'device or resource busy', EEXIST: 'file exists', EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device', ENOTDIR: 'not a directory', EISDIR: 'is a directory', EINVAL: 'invalid argument',
  EMFILE: 'too many open files', ENOSPC: 'no space left on device', EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links', ENAMETOOLONG: 'file name too long', ENOSYS: 'function not implemented',
  ENOTEMPTY: 'directory not empty', EOPNOTSUPP: 'operation not supported', ENOTSUP: 'operation not supported',
};
function describeErrno(errno: number): string {
  return errnoText[errnoName(errno)] ?? 'error';
}
