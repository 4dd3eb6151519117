// runtime-spec config-linux.md "Sysctl": kernel parameters set for the container, in its own
// namespaces (never the host's).
import fs from 'node:fs';
import { eq, ne } from '../lib/assert.mjs';
import { removeNamespace } from '../lib/config.mjs';

export const section = '13. sysctl';

function hostValue(key) {
  return fs.readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').trim();
}

export default [
  {
    name: 'sysctl_applied_network',
    rule: 'config-linux.md Sysctl: "allows kernel parameters to be modified at runtime for the container" (net.* in the container network namespace; the host keeps its values)',
    script: 'cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/ip_default_ttl',
    patch: (c) => {
      c.linux.sysctl = { 'net.core.somaxconn': '321', 'net.ipv4.ip_default_ttl': '77' };
    },
    expect: (r) => {
      eq(r.stdout, '321\n77\n', 'values inside');
      ne(hostValue('net.core.somaxconn'), '321', 'host net.core.somaxconn');
      ne(hostValue('net.ipv4.ip_default_ttl'), '77', 'host net.ipv4.ip_default_ttl');
    },
  },
  {
    name: 'sysctl_applied_ipc',
    rule: 'config-linux.md Sysctl: IPC parameters (kernel.shmmni, kernel.msgmax) are set in the container IPC namespace',
    script: 'cat /proc/sys/kernel/shmmni /proc/sys/kernel/msgmax',
    patch: (c) => {
      c.linux.sysctl = { 'kernel.shmmni': '1234', 'kernel.msgmax': '4321' };
    },
    expect: (r) => {
      eq(r.stdout, '1234\n4321\n', 'values inside');
      ne(hostValue('kernel.shmmni'), '1234', 'host kernel.shmmni');
    },
  },
  {
    name: 'sysctl_slash_separator',
    rule: 'config-linux.md Sysctl: keys in sysctl(8) form; "net/core/somaxconn" (slash separated, as sysctl(8) accepts) names the same parameter',
    script: 'cat /proc/sys/net/core/somaxconn',
    patch: (c) => {
      c.linux.sysctl = { 'net/core/somaxconn': '222' };
    },
    expect: (r) => eq(r.stdout, '222\n', 'value inside'),
  },
  {
    name: 'sysctl_host_namespace_fail',
    rule: 'config-linux.md Sysctl: parameters are for the container; a net.* key without a network namespace would change the host (runc refuses), so create errors',
    patch: (c) => {
      removeNamespace(c, 'network');
      c.linux.sysctl = { 'net.ipv4.ip_default_ttl': '77' };
    },
    fail: '/linux/sysctl/net.ipv4.ip_default_ttl',
  },
  {
    name: 'sysctl_not_namespaced_fail',
    rule: 'config-linux.md Sysctl: a parameter that no container namespace isolates (kernel.panic) cannot be applied to the container only: error',
    patch: (c) => {
      c.linux.sysctl = { 'kernel.panic': '5' };
    },
    fail: '/linux/sysctl/kernel.panic',
  },
  {
    name: 'sysctl_unknown_key_fail',
    rule: 'runtime.md create: a sysctl that does not exist cannot be applied: error and no container',
    patch: (c) => {
      c.linux.sysctl = { 'net.ipv4.conf_no_such_key': '1' };
    },
    fail: 'conf_no_such_key',
  },
];
