// Tests `tsrun spec --rootless` (src/spec/rootless-spec.ts) against the file `runc spec --rootless`
// writes. The runc output is embedded verbatim: captured from runc 1.1.5+ds1 (Debian 12) run by a
// user with uid and gid 1001 (`runuser -u <user> -- runc spec --rootless`), so this test needs
// neither runc nor such a user. Its ids are replaced by the caller's for the comparison.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultSpec, DEFAULT_HOSTNAME } from '../../src/spec/default-spec';
import { toRootless } from '../../src/spec/rootless-spec';
import { specCommand } from '../../src/cli/commands/spec';
import { SPEC_VERSION } from '../../src/spec/version';

const RUNC_ROOTLESS_1001 = `{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "none",
			"source": "/sys",
			"options": [
				"rbind",
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"uidMappings": [
			{
				"containerID": 0,
				"hostID": 1001,
				"size": 1
			}
		],
		"gidMappings": [
			{
				"containerID": 0,
				"hostID": 1001,
				"size": 1
			}
		],
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			},
			{
				"type": "user"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}`;

/** runc's text for host ids `uid`/`gid`, with the two values tsrun deliberately changes (default-spec.ts). */
function expectedText(uid: number, gid: number): string {
  const doc = JSON.parse(RUNC_ROOTLESS_1001) as { linux: { uidMappings: { hostID: number }[]; gidMappings: { hostID: number }[] } };
  // The captured file maps exactly 1001 -> 0, once each; anything else means a bad capture.
  if (doc.linux.uidMappings.length !== 1 || doc.linux.uidMappings[0].hostID !== 1001) throw new Error('bad capture');
  if (doc.linux.gidMappings.length !== 1 || doc.linux.gidMappings[0].hostID !== 1001) throw new Error('bad capture');
  doc.linux.uidMappings[0].hostID = uid;
  doc.linux.gidMappings[0].hostID = gid;
  return JSON.stringify(doc, null, '\t')
    .replace('"ociVersion": "1.0.2-dev"', `"ociVersion": "${SPEC_VERSION}"`)
    .replace('"hostname": "runc"', `"hostname": "${DEFAULT_HOSTNAME}"`);
}

t.test('the capture re-serialises to itself (so expectedText changes only the ids and the two values)', async (t) => {
  t.equal(JSON.stringify(JSON.parse(RUNC_ROOTLESS_1001), null, '\t'), RUNC_ROOTLESS_1001);
});

t.test('toRootless(defaultSpec()) is runc spec --rootless, byte for byte (key order included)', async (t) => {
  t.equal(JSON.stringify(toRootless(defaultSpec(), 1001, 1001), null, '\t'), expectedText(1001, 1001));
  t.equal(JSON.stringify(toRootless(defaultSpec(), 1234, 567), null, '\t'), expectedText(1234, 567));
});

t.test('what runc changes, one by one', async (t) => {
  type Doc = { mounts: { destination: string; type?: string; source?: string; options?: string[] }[]; linux: Record<string, any> };
  const plain = defaultSpec() as Doc;
  const rl = toRootless(defaultSpec(), 4000, 4001) as Doc;
  t.same(rl.linux.uidMappings, [{ containerID: 0, hostID: 4000, size: 1 }]);
  t.same(rl.linux.gidMappings, [{ containerID: 0, hostID: 4001, size: 1 }]);
  t.same(rl.linux.namespaces.map((n: { type: string }) => n.type), ['pid', 'ipc', 'uts', 'mount', 'user'], 'no network, user last');
  t.notOk('resources' in rl.linux, 'no linux.resources');
  t.same(rl.mounts.find((m) => m.destination === '/sys'), { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  t.same(rl.mounts.find((m) => m.destination === '/dev/pts')?.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'], 'gid=5 removed');
  t.same(rl.mounts.find((m) => m.destination === '/sys/fs/cgroup'), plain.mounts.find((m) => m.destination === '/sys/fs/cgroup'), 'the cgroup mount is kept, read-only');
  t.same(rl.mounts.map((m) => m.destination), plain.mounts.map((m) => m.destination), 'same mounts, same order');
  // A spec that already has a user namespace (or several /sys spellings) gets exactly one.
  const twice = toRootless(toRootless(defaultSpec(), 1, 2), 1, 2) as Doc;
  t.same(twice.linux.namespaces.filter((n: { type: string }) => n.type === 'user').length, 1);
});

t.test('tsrun spec --rootless writes it with the caller\'s effective ids', async (t) => {
  const dir = t.testdir({});
  t.equal(await specCommand(['--rootless', '--bundle', dir]), 0);
  const text = readFileSync(path.join(dir, 'config.json'), 'utf8');
  t.equal(text, expectedText(process.geteuid?.() ?? 0, process.getegid?.() ?? 0));
});
