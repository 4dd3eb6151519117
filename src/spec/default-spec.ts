// The default config.json that `tsrun spec` writes: the same document `runc spec` writes (runc 1.1.5,
// libcontainer/specconv/example.go), with our own hostname and the runtime-spec version we target.
//
// The object is built fresh on every call (callers such as the demo-bundle tooling mutate it), and
// its key order is runc's, so that `JSON.stringify(spec, null, '\t')` is byte-for-byte runc's file
// apart from `ociVersion` and `hostname`. Keep it that way: the unit test compares the serialised
// text, not just the parsed value.
//
// Known differences between runc releases (we follow the runc installed on the reference host, 1.1.5):
// - runc >= 1.2 no longer lists `ambient` capabilities (its Example() in
//   libcontainer/specconv/example.go; test/unit/default-spec-command.test.ts pins the rest of it);
// - runc adds a `cgroup` namespace only on a cgroup v2 unified host. tsrun's default stays
//   host-independent (the reference host is hybrid, where runc does not list it either).

import { SPEC_VERSION } from './version';

/** Hostname in the default spec; runc uses "runc". */
export const DEFAULT_HOSTNAME = 'tsrun';

/**
 * The capabilities of the default process: the short list Docker-era runtimes grant an unprivileged
 * shell (write audit records, signal processes, bind ports < 1024). config.md "capabilities".
 */
const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] as const;

/**
 * Paths the container must not see (bind-mounted over with /dev/null or an empty read-only tmpfs,
 * config-linux.md "Masked Paths"): kernel memory (/proc/kcore), keyrings, timer and scheduler
 * internals that leak host activity, and firmware tables.
 */
const DEFAULT_MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
] as const;

/**
 * Paths remounted read-only (config-linux.md "Readonly Paths"): /proc/sys holds many host-global
 * sysctls and writing to /proc/sysrq-trigger can reboot or crash the host (proc(5)).
 */
const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;

/** Returns a new copy of the default spec (see the file header; `tsrun spec --rootless`: rootless-spec.ts). */
export function defaultSpec(): object {
  return {
    ociVersion: SPEC_VERSION,
    process: {
      // runc's default asks for a terminal: `tsrun create` and `run -d` of an untouched spec need
      // --console-socket, a foreground `tsrun run` relays it (runc's terminals.md); the demo
      // bundle turns it off.
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
        ambient: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: DEFAULT_HOSTNAME,
    // The filesystems runtime-linux.md says a Linux container SHOULD have (/proc, /sys, /dev/pts,
    // /dev/shm), plus a small /dev tmpfs the runtime fills with the default devices.
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        // newinstance: a private pts namespace, not the host's ptys (devpts docs, kernel 2.6.29+).
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      // Deny every device by default; the runtime then allows its default device list
      // (config-linux.md "Default Devices").
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
