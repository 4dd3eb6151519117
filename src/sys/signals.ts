// Owns: signal names <-> numbers on Linux (x86_64 and arm64 share the numbering of signal(7)
// "Standard signals"), and parsing the signal argument of `tsrun kill`. Pure data.
//
// Parsing follows runc's kill.go parseSignal: a decimal number is taken as is; otherwise the
// name is matched case-insensitively with an optional "SIG" prefix ("TERM", "SIGTERM",
// "sigterm"), and failure reads `unknown signal "X"`. Two deliberate differences: numbers are
// limited to 0..64 (the kernel's range, 0 = probe only) so a typo fails here rather than as
// EINVAL from kill(2), and real-time names are accepted as in kill(1) / signal(7):
// RTMIN, RTMIN+n, RTMAX-n, RTMAX.
import { UsageError } from '../errors';

/** Standard signals (asm-generic/signal.h; x86_64's asm/signal.h has the same numbers). */
export const SIGNALS: Readonly<Record<string, number>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
});

/** Synonyms glibc and signal(7) define; accepted when parsing, never printed. */
export const SIGNAL_ALIASES: Readonly<Record<string, number>> = Object.freeze({
  SIGIOT: 6,
  SIGCLD: 17,
  SIGPOLL: 29,
});

/**
 * First real-time signal as user space sees it. The kernel's SIGRTMIN is 32, but glibc keeps
 * 32 and 33 for its threads, so SIGRTMIN() is 34 in every glibc program, `kill -l` and runc
 * users included.
 */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
/** One past the highest signal number (the kernel's _NSIG is 64, numbered 1..64). */
export const NSIG = 65;

const NAME_BY_NUMBER = new Map<number, string>(Object.entries(SIGNALS).map(([name, num]) => [num, name]));

/** Canonical name of a signal number: "SIGTERM", "SIGRTMIN+3", "SIGRTMAX"; undefined for 0, 32, 33 or out of range. */
export function signalName(num: number): string | undefined {
  const std = NAME_BY_NUMBER.get(num);
  if (std !== undefined) return std;
  if (!Number.isInteger(num) || num < SIGRTMIN || num > SIGRTMAX) return undefined;
  if (num === SIGRTMIN) return 'SIGRTMIN';
  if (num === SIGRTMAX) return 'SIGRTMAX';
  // kill -l writes the lower half from RTMIN, the upper half from RTMAX.
  return num - SIGRTMIN <= SIGRTMAX - num ? `SIGRTMIN+${num - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - num}`;
}

function realtimeSignal(name: string): number | undefined {
  const m = /^RT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(name);
  if (!m) return undefined;
  const base = m[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
  if (m[2] === undefined) return base;
  // Only RTMIN+n and RTMAX-n are meaningful (kill(1)); RTMIN-n would name a glibc-reserved or standard signal.
  if ((m[1] === 'MIN') !== (m[2] === '+')) return undefined;
  const num = m[1] === 'MIN' ? base + Number(m[3]) : base - Number(m[3]);
  return num >= SIGRTMIN && num <= SIGRTMAX ? num : undefined;
}

/**
 * Parse a signal given as "15", "TERM", "SIGTERM", "sigterm", "RTMIN+3".
 * @throws UsageError(`unknown signal "X"`) for anything else (runc's wording).
 */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const num = Number(s);
    if (num < NSIG) return num;
    throw new UsageError(`unknown signal ${JSON.stringify(s)}`);
  }
  let name = s.toUpperCase();
  if (name.startsWith('SIG')) name = name.slice(3);
  const full = `SIG${name}`; // the prefix also keeps Object.prototype keys out of the lookup
  const num = SIGNALS[full] ?? SIGNAL_ALIASES[full] ?? realtimeSignal(name);
  if (num === undefined) throw new UsageError(`unknown signal ${JSON.stringify(s)}`);
  return num;
}
