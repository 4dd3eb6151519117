// linux.personality (config-linux.md "Personality"): the execution domain of the container
// process, set with personality(2) in the init stage. The persona survives execve(2) (only the
// PER_CLEAR_ON_SETID bits are cleared on a set-id exec), so setting it on the init stage's main
// thread before execve gives it to the user program: LINUX32 makes uname(2) report a 32-bit
// machine ("i686" on x86_64, "armv8l" on arm64), as `setarch linux32` does.
import type { Sys } from '../sys/sys';
import { FieldError, SyscallError } from '../errors';
import type { LinuxPersonality, PersonalityDomain } from '../spec/types';

/** <linux/personality.h>: PER_LINUX = 0x0000, PER_LINUX32 = 0x0008. */
const PERSONALITY_DOMAINS: Readonly<Record<PersonalityDomain, number>> = Object.freeze({
  LINUX: 0x0000,
  LINUX32: 0x0008,
});

/**
 * The persona value for personality(2). config-linux.md: "flags ... Currently no flag values are
 * supported", so any flag is refused rather than ignored (a flag we do not know could change how
 * the program runs; runtime.md says a property that cannot be applied is an error).
 */
export function personalityValue(p: LinuxPersonality): number {
  const value = PERSONALITY_DOMAINS[p.domain];
  if (value === undefined) throw new FieldError('domain', `unknown personality domain "${p.domain}" (expected LINUX or LINUX32)`);
  if (p.flags?.length) throw new FieldError('flags', `personality flags are not supported (got ${p.flags.join(', ')}); runtime-spec defines none`);
  return value;
}

export function applyPersonality(sys: Sys, p: LinuxPersonality): void {
  const value = personalityValue(p);
  try {
    sys.personality(value);
  } catch (e) {
    if (e instanceof SyscallError) throw new SyscallError('personality', e.errno, undefined, `domain ${p.domain}`);
    throw e;
  }
}
