// Fields tsrun refuses for now (issue 2: "A field tsrun does not implement yet ... is refused with
// an error that names it"; config.md: "Runtimes MUST generate an error when ... unsupported values
// are encountered"). Each case sets one field and checks `create` names it and leaves nothing.

export const section = 'Refused for now (unsupported fields)';

const RULE = 'config.md Configuration: "Runtimes MUST generate an error when invalid or unsupported values are encountered"; runtime.md create: error and no container';

/** One `*_fail` case: `edit` sets the field, `pointer` must appear in the error. */
function refused(name, pointer, edit, what = pointer) {
  return { name: `unsupported_${name}_fail`, rule: `${RULE} (${what})`, patch: edit, fail: pointer };
}

export default [
  // process.terminal and consoleSize are applied now: 06-terminal.mjs.
  // A user namespace with uid/gid mappings is applied now: 09-user-namespaces.mjs.
  // Id-mapped binds are applied now (09b-idmap-mounts.mjs); an id-mapped new filesystem is not.
  refused('mount_idmap_not_bind', '/mounts/7: id-mapped mounts', (c) => {
    const maps = [{ containerID: 0, hostID: 300000, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }];
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = maps;
    c.linux.gidMappings = structuredClone(maps);
    c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] });
  }, 'an id-mapped tmpfs'),
  // apparmorProfile, selinuxLabel, mountLabel, scheduler, ioPriority, execCPUAffinity,
  // personality and memoryPolicy are applied now (or refused by the LSM's absence): 03b-process-extras.mjs.
  refused('intel_rdt', '/linux/intelRdt', (c) => {
    c.linux.intelRdt = { closID: 'conf', l3CacheSchema: 'L3:0=f' };
  }),
  refused('net_devices', '/linux/netDevices', (c) => {
    c.linux.netDevices = { confnope0: { name: 'eth1' } };
  }),
  // linux.resources is no longer refused at validation: the cgroup manager applies every field
  // and itself refuses what this host cannot apply (a controller it does not mount, `unified` on
  // v1/hybrid). Those cases, positive and `*_fail`, are in 10-cgroups.mjs.
];
