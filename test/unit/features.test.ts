// `tsrun features` (src/features.ts) is derived from the code that implements each item. These
// tests fail when the document and the code drift apart: a namespace type, mount option,
// controller or field that the runtime accepts but the document leaves out (or the reverse).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { buildFeatures } from '../../src/features';
import type { NamespaceType, Spec } from '../../src/spec/types';
import { refuseUnsupported } from '../../src/spec/unsupported';
import { convertSpec } from '../../src/spec/convert';
import { KNOWN_MOUNT_OPTIONS } from '../../src/linux/mount-options';
import { ALL_CAP_NAMES } from '../../src/security/capability-table';
import { ALL_PHASES } from '../../src/hooks/names';
import { MPOL_FLAGS, MPOL_MODES } from '../../src/security/memory-policy';
import { V1_CONTROLLERS } from '../../src/cgroups/v1/manager';
import { v2Controllers } from '../../src/cgroups/v2/manager';
import type { ResourceController } from '../../src/cgroups/controller';
import { SPEC_VERSION } from '../../src/spec/version';

const repo = path.resolve(__dirname, '..', '..');
const features = buildFeatures();
const linux = features.linux ?? {};
const NO_LSM = { apparmor: false, selinux: false };

/** Does tsrun take this config (validation's refusals, then the converter)? */
function accepted(spec: Partial<Spec>): boolean {
  const full = { ociVersion: SPEC_VERSION, root: { path: 'rootfs' }, ...spec } as Spec;
  try {
    refuseUnsupported(full);
    convertSpec(full, 'c1', '/b', '/b/rootfs', NO_LSM);
    return true;
  } catch {
    return false;
  }
}

t.test('namespaces: exactly the types the schema allows and tsrun does not refuse', async (t) => {
  const schema = JSON.parse(fs.readFileSync(path.join(repo, 'schemas', 'config-linux.json'), 'utf8'));
  const types = schema.properties.namespaces.items.properties.type.enum as NamespaceType[];
  t.ok(types.length >= 8, 'the schema lists the namespace types');
  for (const type of types) {
    // A new user namespace comes with its maps (checks.ts user-namespace-mappings).
    const maps = type === 'user' ? { uidMappings: [{ containerID: 0, hostID: 100000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 1 }] } : {};
    const ok = accepted({ linux: { namespaces: [{ type: 'mount' }, ...(type === 'mount' ? [] : [{ type }])], ...maps } });
    t.equal(linux.namespaces?.includes(type), ok, `${type}: ${ok ? 'accepted, so listed' : 'refused, so not listed'}`);
  }
  t.ok(linux.namespaces?.includes('user'), 'user namespaces are implemented (src/launcher/parent/trampoline.ts), and listed');
  t.same(linux.namespaces, [...(linux.namespaces ?? [])].sort(), 'sorted, as runc lists them');
});

t.test('mountOptions: every known option that validation does not refuse', async (t) => {
  for (const o of KNOWN_MOUNT_OPTIONS) {
    // On a bind, with a user namespace: idmap and ridmap are taken there only (unsupported.ts).
    const maps = [{ containerID: 0, hostID: 100000, size: 1 }];
    const ok = accepted({ linux: { namespaces: [{ type: 'mount' }, { type: 'user' }], uidMappings: maps, gidMappings: maps }, mounts: [{ destination: '/m', type: 'bind', source: '/m', options: ['bind', o] }] });
    t.equal(features.mountOptions?.includes(o), ok, `${o}: ${ok ? 'listed' : 'not listed'}`);
  }
  t.ok(features.mountOptions?.includes('idmap') && features.mountOptions?.includes('ridmap'), 'idmap and ridmap are listed (id-mapped binds, src/linux/bind-tree.ts)');
  for (const o of features.mountOptions ?? []) t.ok(KNOWN_MOUNT_OPTIONS.includes(o), `${o} is in the option table`);
});

/** The controllers a cgroup folder's modules export (objects with pointer/applies/write). */
async function exportedControllers(dir: string): Promise<Array<[string, ResourceController]>> {
  const out: Array<[string, ResourceController]> = [];
  for (const f of fs.readdirSync(path.join(repo, 'src', 'cgroups', dir)).filter((n) => n.endsWith('.ts'))) {
    const mod = (await import(path.join(repo, 'src', 'cgroups', dir, f))) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod)) {
      const c = v as Partial<ResourceController> | undefined;
      if (c && typeof c === 'object' && typeof c.pointer === 'string' && typeof c.applies === 'function' && typeof c.write === 'function') {
        out.push([`${dir}/${f} ${name}`, c as ResourceController]);
      }
    }
  }
  return out;
}

t.test('cgroup: every controller module is in its manager, and rdma is reported from them', async (t) => {
  const v2 = v2Controllers();
  for (const [dir, list] of [['v1', V1_CONTROLLERS], ['v2', v2]] as const) {
    const found = await exportedControllers(dir);
    t.ok(found.length > 5, `${dir}: controller modules found`);
    for (const [where, c] of found) t.ok(list.some((m) => m.pointer === c.pointer), `${where} (${c.pointer}) is in the ${dir} manager's list`);
  }
  const rdma = '/linux/resources/rdma';
  t.equal(linux.cgroup?.rdma, V1_CONTROLLERS.some((c) => c.pointer === rdma) && v2.some((c) => c.pointer === rdma), 'rdma: as the controller lists say');
  t.equal(linux.cgroup?.rdma, true, 'rdma is implemented (v1/rdma.ts, v2/rdma.ts)');
  t.equal(linux.cgroup?.v1, true);
  t.equal(linux.cgroup?.v2, true);
  t.equal(linux.cgroup?.systemd, false, 'no systemd driver (--systemd-cgroup is refused)');
});

t.test('capabilities, hooks, memory policy: the tables the runtime uses', async (t) => {
  t.same(linux.capabilities, [...ALL_CAP_NAMES]);
  t.same(features.hooks, [...ALL_PHASES]);
  t.same(linux.memoryPolicy, { modes: Object.keys(MPOL_MODES), flags: Object.keys(MPOL_FLAGS) });
});

t.test('intelRdt, netDevices, idmap mounts: enabled exactly when validation accepts them', async (t) => {
  const ns = { namespaces: [{ type: 'mount' as const }] };
  t.equal(linux.intelRdt?.enabled, accepted({ linux: { ...ns, intelRdt: { closID: 'x' } } }), 'intelRdt');
  t.equal(linux.netDevices?.enabled, accepted({ linux: { ...ns, netDevices: { eth9: {} } } }), 'netDevices');
  const maps = [{ containerID: 0, hostID: 100000, size: 1 }];
  const userNs = { namespaces: [...ns.namespaces, { type: 'user' as const }], uidMappings: maps, gidMappings: maps };
  t.equal(linux.mountExtensions?.idmap?.enabled, accepted({ linux: userNs, mounts: [{ destination: '/m', type: 'bind', source: '/x', options: ['rbind', 'idmap'], uidMappings: maps, gidMappings: maps }] }), 'idmap');
  t.equal(linux.mountExtensions?.idmap?.enabled, true, 'id-mapped binds are implemented');
});

t.test("the document's keys are runc's (runc features.go, runtime-spec specs-go/features)", async (t) => {
  const keys = (o: object | undefined) => Object.keys(o ?? {});
  const TOP = ['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations', 'potentiallyUnsafeConfigAnnotations'];
  const LINUX = ['namespaces', 'capabilities', 'cgroup', 'seccomp', 'apparmor', 'selinux', 'intelRdt', 'memoryPolicy', 'mountExtensions', 'netDevices'];
  for (const k of keys(features)) t.ok(TOP.includes(k), `top-level ${k}`);
  for (const k of keys(linux)) t.ok(LINUX.includes(k), `linux.${k}`);
  for (const k of keys(linux.cgroup)) t.ok(['v1', 'v2', 'systemd', 'systemdUser', 'rdma'].includes(k), `linux.cgroup.${k}`);
  for (const k of keys(linux.intelRdt)) t.ok(['enabled', 'schemata', 'monitoring'].includes(k), `linux.intelRdt.${k}`);
  for (const [k, v] of Object.entries(features.annotations ?? {})) t.equal(typeof v, 'string', `annotation ${k}`);
  t.notOk(features.annotations && Object.keys(features.annotations).length === 0, 'no empty annotations map (runc omits it when empty)');
});

t.test('tsrun features takes no argument (runc: requires exactly 0 argument(s))', async (t) => {
  const { featuresCommand } = await import('../../src/cli/commands/features');
  const err = await featuresCommand(['extra']).then(() => undefined, (e: unknown) => e);
  t.equal(err instanceof Error ? err.message : err, '"tsrun features" requires exactly 0 argument(s)');
});
