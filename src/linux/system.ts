// Per-namespace system settings: hostname and domainname (UTS namespace) and sysctl (written to
// /proc/sys of the container's own /proc, so net.* lands in its network namespace).
import type { Sys } from '../sys/sys';
import { RuntimeError, SyscallError } from '../errors';

export function setHostnames(sys: Sys, hostname?: string, domainname?: string): void {
  if (hostname !== undefined) sys.sethostname(hostname);
  if (domainname !== undefined) sys.setdomainname(domainname);
}

/** config-linux.md "Sysctl": key "net.ipv4.ip_forward" is /proc/sys/net/ipv4/ip_forward. */
function sysctlPath(key: string): string {
  if (key.split(/[./]/).some((c) => c === '..' || c === '')) {
    throw new RuntimeError('sysctl', `invalid sysctl key ${JSON.stringify(key)}`);
  }
  return '/proc/sys/' + key.replace(/\./g, '/');
}

export function writeSysctls(sys: Sys, sysctl: Record<string, string>): void {
  for (const [key, value] of Object.entries(sysctl)) {
    const file = sysctlPath(key);
    try {
      sys.writeFile(file, value);
    } catch (e) {
      throw new RuntimeError('sysctl', `sysctl ${key}=${value}: write ${file}: ${e instanceof SyscallError ? e.errnoCode : (e as Error).message}`);
    }
  }
}
