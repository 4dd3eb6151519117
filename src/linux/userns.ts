// Is this process in a user namespace other than the initial one? Its uid_map then is not the
// identity map of the initial namespace, "0 0 4294967295" (user_namespaces(7)); runc's
// userns.RunningInUserNS reads the same file. Rootless podman runs its OCI runtime so: as uid 0
// of a user namespace it made, where the host's cgroups, device nodes and the namespaces it did
// not make stay out of reach. Kept apart (fs only) because the dispatcher asks it at every start.
import fs = require('node:fs');

let cached: boolean | undefined;

export function runningInUserNs(uidMap?: string): boolean {
  if (uidMap === undefined && cached !== undefined) return cached;
  let text = uidMap;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/uid_map', 'utf8');
    } catch {
      text = ''; // no /proc, or no user namespaces in this kernel: the initial namespace
    }
  }
  const fields = text.trim().split(/\s+/);
  const inNs = text.trim() !== '' && !(fields.length === 3 && fields[0] === '0' && fields[1] === '0' && fields[2] === '4294967295');
  if (uidMap === undefined) cached = inNs;
  return inNs;
}
