// Per-namespace system settings: hostname and domainname (UTS namespace) and sysctl (written to
// /proc/sys of the container's own /proc, so net.* lands in its network namespace).
import fs = require('node:fs');
import * as libc from '../sys/libc';
import { RuntimeError } from '../errors';

export function setHostnames(hostname?: string, domainname?: string): void {
  if (hostname !== undefined) libc.sethostname(hostname);
  if (domainname !== undefined) libc.setdomainname(domainname);
}

/** config-linux.md "Sysctl": key "net.ipv4.ip_forward" is /proc/sys/net/ipv4/ip_forward. */
function sysctlPath(key: string): string {
  if (key.split(/[./]/).some((c) => c === '..' || c === '')) {
    throw new RuntimeError('sysctl', `invalid sysctl key ${JSON.stringify(key)}`);
  }
  return '/proc/sys/' + key.replace(/\./g, '/');
}

export function writeSysctls(sysctl: Record<string, string>): void {
  for (const [key, value] of Object.entries(sysctl)) {
    const file = sysctlPath(key);
    try {
      fs.writeFileSync(file, value);
    } catch (e) {
      throw new RuntimeError('sysctl', `sysctl ${key}=${value}: write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}
