// linux.seccomp -> what the init stage gets (InitSeccomp). The whole filter is compiled here once,
// in the parent, so that every problem fails `create` with the field's JSON pointer, and a host
// without libseccomp refuses the config with a clear message instead of starting a container
// less confined than asked (config.md: a runtime MUST error on what it cannot apply).
import path = require('node:path');
import { log } from '../log';
import { SpecError, RuntimeError } from '../errors';
import { checkSeccomp, type InitSeccomp } from '../security/seccomp';
import type { Spec } from './types';
import { SPEC_VERSION } from './version';

export function seccompFor(spec: Spec, id: string, bundle: string): InitSeccomp | undefined {
  const profile = spec.linux?.seccomp;
  if (!profile) return undefined;
  try {
    const { skipped } = checkSeccomp(profile);
    // runc skips syscall names the kernel/libseccomp does not know and logs them at debug level.
    if (skipped.length) log.debug(`seccomp: syscalls unknown to libseccomp, skipped: ${[...new Set(skipped)].join(' ')}`);
  } catch (e) {
    if (e instanceof RuntimeError && e.code === 'seccomp-unavailable') throw new SpecError('/linux/seccomp', e.message, 'unsupported');
    throw e;
  }
  return {
    profile,
    // runtime.md State / config-linux.md containerProcessState: the version the state complies
    // with, tsrun's (runc: specs.Version), not the config's.
    state: { ociVersion: SPEC_VERSION, id, bundle: path.resolve(bundle), annotations: spec.annotations },
  };
}
