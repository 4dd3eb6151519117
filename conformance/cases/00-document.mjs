// runtime-spec config.md: the whole document (ociVersion, unknown properties, invalid values,
// annotations) and hostname/domainname (config.md "Hostname", "Domainname").
import os from 'node:os';
import fs from 'node:fs';
import { eq } from '../lib/assert.mjs';
import { addMount, removeNamespace, unset } from '../lib/config.mjs';

export const section = '0. Whole document, annotations, hostname';

export default [
  {
    name: 'ociversion_required_fail',
    rule: 'config.md ociVersion: "(string, REQUIRED) MUST be in SemVer v2.0.0 format"',
    patch: (c) => unset(c, 'ociVersion'),
    fail: 'ociVersion',
  },
  {
    name: 'ociversion_semver_fail',
    rule: 'config.md ociVersion: "MUST be in SemVer v2.0.0 format and specifies the version of the Open Container Initiative Runtime Specification"',
    patch: (c) => {
      c.ociVersion = '1.0';
    },
    fail: '/ociVersion',
  },
  {
    name: 'unknown_properties_ignored',
    rule: 'config.md Configuration: "Runtimes MUST NOT generate an error if they encounter an unknown property. Instead they MUST ignore unknown properties."',
    script: 'echo unknown-ok',
    patch: (c) => {
      c.xUnknownTop = { nested: [1, 2] };
      c.process.xUnknownProcess = 'x';
      c.root.xUnknownRoot = true;
      c.linux.xUnknownLinux = 7;
      c.mounts[0].xUnknownMount = {};
    },
    expect: (r) => eq(r.stdout, 'unknown-ok\n', 'stdout'),
  },
  {
    name: 'invalid_value_fail',
    rule: 'config.md Configuration: "Runtimes MUST generate an error when invalid or unsupported values are encountered" (process.args given as a string)',
    patch: (c) => {
      c.process.args = 'sh -c true';
    },
    fail: '/process/args',
  },
  {
    name: 'invalid_value_type_fail',
    rule: 'config.md Configuration: "Runtimes MUST generate an error when invalid ... values are encountered" (hostname given as a number)',
    patch: (c) => {
      c.hostname = 42;
    },
    fail: '/hostname',
  },
  {
    name: 'annotations_empty_key_fail',
    rule: 'config.md Annotations: "Keys MUST NOT be an empty string."',
    patch: (c) => {
      c.annotations = { '': 'x' };
    },
    fail: 'annotations',
  },
  {
    name: 'annotations_value_string_fail',
    rule: 'config.md Annotations: "Values MUST be strings."',
    patch: (c) => {
      c.annotations = { 'com.example.n': 1 };
    },
    fail: '/annotations/com.example.n',
  },
  {
    name: 'annotations_unknown_keys_ignored',
    rule: 'config.md Annotations: "Implementations that are reading/processing this configuration file MUST NOT generate an error if they encounter an unknown annotation key." (plus the reserved org.opencontainers.image.* keys of v1.2.0)',
    script: 'echo ann-ok',
    patch: (c) => {
      c.annotations = {
        'org.opencontainers.image.os': 'linux',
        'org.opencontainers.image.architecture': 'amd64',
        'org.opencontainers.image.stopSignal': 'SIGTERM',
        'org.opencontainers.xUnknown': 'v',
        'com.example.whatever': '',
      };
    },
    expect: (r) => eq(r.stdout, 'ann-ok\n', 'stdout'),
  },
  {
    name: 'hostname_uts',
    rule: 'config.md Hostname: "specifies the container\'s hostname as seen by processes running inside the container" (set in the container UTS namespace)',
    script: 'hostname; cat /proc/sys/kernel/hostname',
    patch: (c) => {
      c.hostname = 'conf-host.example';
    },
    expect: (r) => {
      eq(r.stdout, 'conf-host.example\nconf-host.example\n', 'hostname inside');
      if (os.hostname() === 'conf-host.example') throw new Error('the host hostname was changed');
    },
  },
  {
    name: 'domainname_uts',
    rule: 'config.md Domainname [v1.1.0]: "specifies the container\'s domainname as seen by processes running inside the container" (UTS namespace)',
    script: 'cat /proc/sys/kernel/domainname',
    patch: (c) => {
      c.domainname = 'conf.example.org';
    },
    expect: (r) => {
      eq(r.stdout, 'conf.example.org\n', 'domainname inside');
      const host = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim();
      if (host === 'conf.example.org') throw new Error('the host domainname was changed');
    },
  },
  {
    name: 'hostname_default_kept_without_field',
    rule: 'config.md Hostname is OPTIONAL: without it the new UTS namespace keeps the hostname it was created with (the runtime\'s)',
    script: 'hostname',
    patch: (c) => unset(c, 'hostname'),
    expect: (r) => eq(r.stdout.trim(), os.hostname(), 'hostname inside'),
  },
  {
    name: 'hostname_needs_uts_fail',
    rule: 'config.md Hostname: set "in the container UTS namespace"; without one it would change the host\'s (runc refuses: "unable to set hostname without a private UTS namespace")',
    patch: (c) => removeNamespace(c, 'uts'),
    fail: '/hostname',
  },
  {
    name: 'create_cannot_apply_mount_fail',
    rule: 'runtime.md create: "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created." (a mount of an unknown filesystem type)',
    patch: (c) => addMount(c, { destination: '/tmp', type: 'xnosuchfs', source: 'none' }),
    fail: /\/tmp|xnosuchfs|mount/,
  },
  {
    name: 'create_cannot_apply_cwd_fail',
    rule: 'runtime.md create: "If the runtime cannot apply a property ... it MUST generate an error and a new container MUST NOT be created." (a cwd below a regular file cannot be created)',
    patch: (c) => {
      c.process.cwd = '/etc/passwd/sub';
    },
    fail: /cwd|\/etc\/passwd\/sub/,
  },
];
