// runtime-spec features.md / features-linux.md [v1.1.0]: `tsrun features` prints a valid
// document, and everything it lists is recognised when it appears in config.json; what it says
// is disabled is refused.
import fs from 'node:fs';
import path from 'node:path';
import { eq, match, noMatch, ok, succeeded } from '../lib/assert.mjs';
import { addTmpfs, setNamespace } from '../lib/config.mjs';
import { CAP_NAMES, capMask, parseStatus } from '../lib/proc.mjs';
import { assertRefusal } from '../lib/run-case.mjs';
import { assertSchema } from '../lib/schemas.mjs';

export const section = '26. Features document';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
function features(ctx) {
  const r = ctx.tsrun(['features']);
  succeeded(r, 'tsrun features');
  return JSON.parse(r.stdout);
}

/**
 * [major, minor, patch] of a version string.
 * @param {string} v
 * @returns {number[]}
 */
function versionParts(v) {
  const m = SEMVER.exec(v);
  if (!m) throw new Error(`not a version: ${JSON.stringify(v)}`);
  return m.slice(1, 4).map(Number);
}

/**
 * @param {string} a
 * @param {string} b
 */
function cmpVersion(a, b) {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** `tsrun validate` of ctx.config: { status, stderr }. */
function validate(ctx) {
  ctx.writeConfig();
  return ctx.tsrun(['validate', '--bundle', ctx.bundle]);
}

export default [
  {
    name: 'features_schema_valid',
    rule: 'features.md: ociVersionMin and ociVersionMax are REQUIRED, the rest OPTIONAL; the document matches the features schema',
    run: (ctx) => {
      const f = features(ctx);
      assertSchema('features-schema.json', f, 'tsrun features');
      match(f.ociVersionMin, SEMVER, 'ociVersionMin');
      match(f.ociVersionMax, SEMVER, 'ociVersionMax');
      ok(cmpVersion(f.ociVersionMax, f.ociVersionMin) >= 0, `ociVersionMax ${f.ociVersionMax} < ociVersionMin ${f.ociVersionMin}`);
    },
  },
  {
    name: 'features_version_range_accepted',
    rule: 'features.md ociVersionMin/ociVersionMax: "the minimum/maximum OCI Runtime Specification version recognized by the runtime": configs at both ends run',
    run: (ctx) => {
      const f = features(ctx);
      for (const v of [f.ociVersionMin, f.ociVersionMax]) {
        ctx.config.ociVersion = v;
        ctx.config.process.args = ['true'];
        succeeded(ctx.run({ id: ctx.newId(v.replace(/\W/g, '')) }), `tsrun run with ociVersion ${v}`);
      }
      const specDir = path.join(ctx.work, 'spec');
      fs.mkdirSync(specDir);
      succeeded(ctx.tsrun(['spec', '--bundle', specDir]), 'tsrun spec');
      const written = JSON.parse(fs.readFileSync(path.join(specDir, 'config.json'), 'utf8')).ociVersion;
      ok(cmpVersion(written, f.ociVersionMin) >= 0 && cmpVersion(written, f.ociVersionMax) <= 0, `tsrun spec writes ociVersion ${written}, outside [${f.ociVersionMin}, ${f.ociVersionMax}]`);
    },
  },
  {
    name: 'features_version_outside_range_fail',
    rule: 'features.md: versions above ociVersionMax are not recognised; such a config (ociVersion 2.0.0) is an error',
    patch: (c) => {
      c.ociVersion = '2.0.0';
    },
    fail: '/ociVersion',
  },
  {
    name: 'features_namespaces_recognised',
    rule: 'features-linux.md namespaces: "The runtime MUST recognize the elements in this array as the type of linux.namespaces objects in config.json" (all listed at once)',
    run: (ctx) => {
      const f = features(ctx);
      ok(f.linux.namespaces.length > 0, 'no namespaces listed');
      for (const t of f.linux.namespaces) setNamespace(ctx.config, t);
      if (f.linux.namespaces.includes('user')) {
        // A new user namespace comes with its maps (config-linux.md User namespace mappings);
        // host root is container id 1000, so the busybox rootfs (host root's) stays usable.
        const maps = [{ containerID: 0, hostID: 300000, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
        ctx.config.linux.uidMappings = maps;
        ctx.config.linux.gidMappings = structuredClone(maps);
      }
      ctx.config.process.args = ['true'];
      succeeded(ctx.run(), `tsrun run with namespaces ${f.linux.namespaces.join(', ')}`);
    },
  },
  {
    name: 'features_capabilities_recognised',
    rule: 'features-linux.md capabilities: "The runtime MUST recognize the elements in this array in the process.capabilities object of config.json" (all listed, in every set, applied)',
    run: (ctx) => {
      const f = features(ctx);
      ok(f.linux.capabilities.length > 0, 'no capabilities listed');
      // Only what this runtime process can grant (its own bounding set): ungrantable ones are
      // process_capabilities_ungrantable_warning's subject.
      const own = BigInt(`0x${parseStatus(fs.readFileSync('/proc/self/status', 'utf8')).CapBnd}`);
      const caps = f.linux.capabilities.filter((c) => CAP_NAMES.indexOf(c) < 0 || (own >> BigInt(CAP_NAMES.indexOf(c))) & 1n);
      for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient']) ctx.config.process.capabilities[set] = [...caps];
      ctx.config.process.args = ['cat', '/proc/self/status'];
      const r = ctx.run();
      succeeded(r, 'tsrun run with every listed capability');
      const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
      const known = caps.filter((c) => CAP_NAMES.indexOf(c) >= 0 && CAP_NAMES.indexOf(c) <= lastCap);
      eq(parseStatus(r.stdout).CapBnd, capMask(known.map((c) => CAP_NAMES.indexOf(c))), 'CapBnd');
      noMatch(r.stderr, /unknown capabilit/i, 'stderr');
    },
  },
  {
    name: 'features_mount_options_recognised',
    rule: 'features.md mountOptions: "the mount options recognized by the runtime"; each one listed is accepted in config.json mounts (one tmpfs or bind per option; idmap and ridmap on binds in a user namespace, which they need)',
    run: (ctx) => {
      const f = features(ctx);
      const src = path.join(ctx.work, 'src');
      fs.mkdirSync(src);
      const userNsConfig = structuredClone(ctx.config);
      addTmpfs(ctx.config, '/tmp', ['size=1m']);
      const idmapOptions = f.mountOptions.filter((o) => o === 'idmap' || o === 'ridmap');
      const plain = f.mountOptions.filter((o) => !idmapOptions.includes(o));
      plain.forEach((o, i) => {
        const dest = `/tmp/o${i}`;
        if (o === 'bind' || o === 'rbind') ctx.config.mounts.push({ destination: dest, type: 'bind', source: src, options: [o] });
        else if (o === 'remount') {
          addTmpfs(ctx.config, dest, ['size=64k']);
          addTmpfs(ctx.config, dest, ['remount', 'size=64k']);
        } else addTmpfs(ctx.config, dest, ['size=64k', o]);
      });
      ctx.config.process.args = ['sh', '-c', 'grep -c " /tmp/o" /proc/self/mountinfo'];
      const r = ctx.run();
      succeeded(r, `tsrun run with mount options ${plain.join(',')}`);
      eq(r.stdout.trim(), String(plain.length), 'mounts under /tmp');
      if (!idmapOptions.length) return;
      // config.md idmap/ridmap: without mappings of the mount's own, a user namespace is needed.
      // Host root is container id 1000 there, so the busybox rootfs (host root's) stays usable.
      const maps = [{ containerID: 0, hostID: 300000, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
      userNsConfig.linux.namespaces.push({ type: 'user' });
      userNsConfig.linux.uidMappings = maps;
      userNsConfig.linux.gidMappings = structuredClone(maps);
      addTmpfs(userNsConfig, '/tmp', ['size=1m']);
      idmapOptions.forEach((o, i) => userNsConfig.mounts.push({ destination: `/tmp/o${i}`, type: 'bind', source: src, options: ['rbind', o] }));
      userNsConfig.process.args = ['sh', '-c', 'grep " /tmp/o" /proc/self/mountinfo | grep -c idmapped'];
      const u = ctx.run({ config: userNsConfig, id: `${ctx.id}-idmap` });
      succeeded(u, `tsrun run with mount options ${idmapOptions.join(',')} in a user namespace`);
      eq(u.stdout.trim(), String(idmapOptions.length), 'id-mapped mounts under /tmp');
    },
  },
  {
    name: 'features_hooks_consistent',
    rule: 'features.md hooks: "the list of the recognized hook names"; a hook tsrun does not list is refused by name, a listed one is accepted',
    run: (ctx) => {
      const f = features(ctx);
      for (const h of HOOKS) {
        ctx.config.hooks = { [h]: [{ path: '/bin/true' }] };
        const r = validate(ctx);
        if ((f.hooks ?? []).includes(h)) succeeded(r, `validate with hooks.${h}`);
        else assertRefusal(r, `/hooks/${h}`, `validate with hooks.${h}`);
      }
    },
  },
  {
    name: 'features_disabled_refused',
    rule: 'features-linux.md: seccomp, apparmor, selinux, intelRdt, idmap mounts, netDevices marked not enabled are refused by name when config.json uses them',
    run: (ctx) => {
      const f = features(ctx).linux;
      const probes = [
        [f.seccomp?.enabled, '/linux/seccomp', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; }],
        [f.apparmor?.enabled, '/process/apparmorProfile', (c) => { c.process.apparmorProfile = 'conf'; }],
        [f.selinux?.enabled, '/process/selinuxLabel', (c) => { c.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }],
        [f.intelRdt?.enabled, '/linux/intelRdt', (c) => { c.linux.intelRdt = { closID: 'conf' }; }],
        [f.netDevices?.enabled, '/linux/netDevices', (c) => { c.linux.netDevices = { conf0: {} }; }],
      ];
      for (const [enabled, pointer, edit] of probes) {
        if (enabled !== false) continue;
        const saved = ctx.config;
        ctx.config = structuredClone(saved);
        edit(ctx.config);
        assertRefusal(validate(ctx), pointer, `validate with ${pointer}`);
        ctx.config = saved;
      }
    },
  },
  {
    name: 'features_cgroup_matches_host',
    rule: 'features-linux.md cgroup: v1/v2 say which hierarchies the runtime supports; a true value for the kind this host mounts means containers get cgroups here',
    run: (ctx) => {
      const f = features(ctx).linux.cgroup;
      ok(f, 'no linux.cgroup in features');
      const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      if (/ - cgroup /.test(mounts)) eq(f.v1, true, 'cgroup.v1 on a host with v1 hierarchies');
      if (/ - cgroup2 /.test(mounts)) eq(f.v2, true, 'cgroup.v2 on a host with a v2 hierarchy');
    },
  },
];
