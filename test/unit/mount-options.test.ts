// Tests for src/linux/mount-options.ts: the runtime-spec "Mounts" option table and parser.
import t from 'tap';
import {
  KNOWN_MOUNT_OPTIONS, isKnownMountOption, isPropagationName, parseMountOptions, propagationFlag,
  type PropagationName,
} from '../../src/linux/mount-options';
import {
  MOUNT_ATTR__ATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODEV, MOUNT_ATTR_NODIRATIME, MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_RDONLY, MOUNT_ATTR_STRICTATIME,
  MS_BIND, MS_DIRSYNC, MS_I_VERSION, MS_LAZYTIME, MS_MANDLOCK, MS_NOATIME, MS_NODEV, MS_NODIRATIME,
  MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_PRIVATE, MS_RDONLY, MS_REC, MS_RELATIME, MS_REMOUNT,
  MS_SHARED, MS_SILENT, MS_SLAVE, MS_STRICTATIME, MS_SYNCHRONOUS, MS_UNBINDABLE,
} from '../../src/sys/constants';

// Transcribed from runtime-spec v1.3.0 config.md "Mounts" (MUST, SHOULD and MAY rows) and the
// idmap/ridmap paragraph.
const SPEC_OPTIONS = [
  'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'iversion', 'lazytime',
  'loud', 'noatime', 'nodev', 'nodiratime', 'noexec', 'noiversion', 'nolazytime', 'norelatime',
  'nostrictatime', 'nosuid', 'relatime', 'remount', 'ro', 'rw', 'silent', 'strictatime', 'suid', 'sync',
  'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable', 'rbind',
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime',
  'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rstrictatime', 'rnostrictatime',
  'rnosymfollow', 'rsymfollow', 'nosymfollow', 'symfollow', 'mand', 'nomand', 'tmpcopyup', 'idmap', 'ridmap',
];

t.test('every spec option is recognised and none lands in mount data', async (t) => {
  for (const option of SPEC_OPTIONS) {
    t.ok(isKnownMountOption(option), option);
    t.same(parseMountOptions([option]).data, [], `${option} is not data`);
  }
  t.same([...KNOWN_MOUNT_OPTIONS].sort(), [...SPEC_OPTIONS].sort(), 'known list = spec list, nothing extra');
  t.same(KNOWN_MOUNT_OPTIONS, [...KNOWN_MOUNT_OPTIONS].sort(), 'features list is sorted');
});

t.test('single flag options set or clear the right MS_* bit', async (t) => {
  const sets: Array<[string, number]> = [
    ['ro', MS_RDONLY], ['nosuid', MS_NOSUID], ['nodev', MS_NODEV], ['noexec', MS_NOEXEC],
    ['sync', MS_SYNCHRONOUS], ['remount', MS_REMOUNT], ['mand', MS_MANDLOCK], ['dirsync', MS_DIRSYNC],
    ['nosymfollow', MS_NOSYMFOLLOW], ['noatime', MS_NOATIME], ['nodiratime', MS_NODIRATIME],
    ['bind', MS_BIND], ['rbind', MS_BIND | MS_REC], ['silent', MS_SILENT], ['relatime', MS_RELATIME],
    ['iversion', MS_I_VERSION], ['strictatime', MS_STRICTATIME], ['lazytime', MS_LAZYTIME],
  ];
  for (const [option, flag] of sets) t.equal(parseMountOptions([option]).flags, flag, option);
  const clears: Array<[string, number]> = [
    ['rw', MS_RDONLY], ['suid', MS_NOSUID], ['dev', MS_NODEV], ['exec', MS_NOEXEC], ['async', MS_SYNCHRONOUS],
    ['nomand', MS_MANDLOCK], ['symfollow', MS_NOSYMFOLLOW], ['atime', MS_NOATIME], ['diratime', MS_NODIRATIME],
    ['loud', MS_SILENT], ['norelatime', MS_RELATIME], ['noiversion', MS_I_VERSION],
    ['nostrictatime', MS_STRICTATIME], ['nolazytime', MS_LAZYTIME],
  ];
  for (const [option, flag] of clears) {
    const p = parseMountOptions([option]);
    t.equal(p.flags, 0, `${option} sets nothing`);
    t.equal(p.clearFlags, flag, `${option} clears its flag`);
  }
  t.equal(parseMountOptions(['defaults']).flags, 0);
  t.equal(parseMountOptions(['nosuid', 'nodev', 'noexec']).flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
});

t.test('later options override earlier ones', async (t) => {
  const rw = parseMountOptions(['ro', 'rw']);
  t.equal(rw.flags & MS_RDONLY, 0, 'ro then rw = rw');
  t.equal(rw.clearFlags & MS_RDONLY, MS_RDONLY, 'rw is remembered as a clear');
  const ro = parseMountOptions(['rw', 'ro']);
  t.equal(ro.flags & MS_RDONLY, MS_RDONLY, 'rw then ro = ro');
  t.equal(ro.clearFlags & MS_RDONLY, 0, 'the earlier rw is forgotten');
  t.equal(parseMountOptions(['nosuid', 'suid', 'nosuid']).flags, MS_NOSUID);
  // The atime modes are one choice: the last one wins whatever the kernel's precedence is.
  t.equal(parseMountOptions(['noatime', 'strictatime']).flags, MS_STRICTATIME);
  const noatime = parseMountOptions(['strictatime', 'relatime', 'noatime']);
  t.equal(noatime.flags, MS_NOATIME);
  t.equal(noatime.clearFlags, MS_RELATIME | MS_STRICTATIME);
  t.equal(parseMountOptions(['noatime', 'nodiratime', 'relatime']).flags, MS_RELATIME | MS_NODIRATIME,
    'nodiratime is independent of the atime mode');
});

t.test('bind and rbind', async (t) => {
  const b = parseMountOptions(['bind', 'ro']);
  t.ok(b.bind);
  t.notOk(b.recursiveBind);
  const rb = parseMountOptions(['rbind']);
  t.ok(rb.bind);
  t.ok(rb.recursiveBind);
  t.equal(rb.flags, MS_BIND | MS_REC);
  t.notOk(parseMountOptions(['nosuid']).bind);
  t.notOk(parseMountOptions(['rprivate']).recursiveBind, 'MS_REC of propagation is not a bind');
});

t.test('propagation keeps option order', async (t) => {
  const p = parseMountOptions(['rshared', 'nosuid', 'slave', 'private', 'runbindable']);
  t.same(p.propagation, [MS_SHARED | MS_REC, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE | MS_REC]);
  t.equal(p.flags, MS_NOSUID, 'propagation does not leak into flags');
  const names: Array<[PropagationName, number]> = [
    ['private', MS_PRIVATE], ['rprivate', MS_PRIVATE | MS_REC], ['shared', MS_SHARED],
    ['rshared', MS_SHARED | MS_REC], ['slave', MS_SLAVE], ['rslave', MS_SLAVE | MS_REC],
    ['unbindable', MS_UNBINDABLE], ['runbindable', MS_UNBINDABLE | MS_REC],
  ];
  for (const [name, flag] of names) {
    t.ok(isPropagationName(name));
    t.equal(propagationFlag(name), flag, name);
  }
  t.notOk(isPropagationName('ro'));
  t.throws(() => propagationFlag('ro' as PropagationName), RangeError);
});

// mount_setattr(2): atime bits in attr_set need all of MOUNT_ATTR__ATIME in attr_clr, and
// attr_clr may not hold only part of it.
function kernelAcceptsAtime(set: number, clr: number): boolean {
  if ((clr & MOUNT_ATTR__ATIME) !== 0) {
    return (clr & MOUNT_ATTR__ATIME) === MOUNT_ATTR__ATIME && [0, MOUNT_ATTR_NOATIME, MOUNT_ATTR_STRICTATIME].includes(set & MOUNT_ATTR__ATIME);
  }
  return (set & MOUNT_ATTR__ATIME) === 0;
}

t.test('recursive attribute pairs', async (t) => {
  const pairs: Array<[string, string, number]> = [
    ['rro', 'rrw', MOUNT_ATTR_RDONLY], ['rnosuid', 'rsuid', MOUNT_ATTR_NOSUID], ['rnodev', 'rdev', MOUNT_ATTR_NODEV],
    ['rnoexec', 'rexec', MOUNT_ATTR_NOEXEC], ['rnodiratime', 'rdiratime', MOUNT_ATTR_NODIRATIME],
    ['rnosymfollow', 'rsymfollow', MOUNT_ATTR_NOSYMFOLLOW],
  ];
  for (const [on, off, attr] of pairs) {
    t.same(pick(parseMountOptions([on])), { set: attr, clr: 0 }, on);
    t.same(pick(parseMountOptions([off])), { set: 0, clr: attr }, off);
    t.same(pick(parseMountOptions([on, off])), { set: 0, clr: attr }, `${on},${off}`);
    t.same(pick(parseMountOptions([off, on])), { set: attr, clr: 0 }, `${off},${on}`);
  }
  const atime: Array<[string, number]> = [
    ['rnoatime', MOUNT_ATTR_NOATIME], ['ratime', 0], ['rrelatime', 0], ['rnorelatime', MOUNT_ATTR_STRICTATIME],
    ['rstrictatime', MOUNT_ATTR_STRICTATIME], ['rnostrictatime', 0],
  ];
  for (const [option, mode] of atime) {
    t.same(pick(parseMountOptions([option])), { set: mode, clr: MOUNT_ATTR__ATIME }, option);
  }
  t.same(pick(parseMountOptions(['rnoatime', 'ratime'])), { set: 0, clr: MOUNT_ATTR__ATIME }, 'last atime wins');
  t.same(pick(parseMountOptions(['rro', 'rstrictatime', 'rnodev', 'rnoatime'])),
    { set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOATIME, clr: MOUNT_ATTR__ATIME });
  // Every combination of two recursive options must give a word pair the kernel accepts.
  const rec = [...pairs.flatMap(([on, off]) => [on, off]), ...atime.map(([option]) => option)];
  t.equal(new Set(rec).size, 18, 'all 18 recursive options of the spec are covered');
  for (const a of rec) {
    for (const b of rec) {
      const p = parseMountOptions([a, b]);
      t.ok(kernelAcceptsAtime(p.recAttrSet, p.recAttrClr), `${a},${b}`);
      t.equal(p.recAttrSet & p.recAttrClr & ~MOUNT_ATTR__ATIME, 0, `${a},${b}: no bit both set and cleared`);
    }
  }
  const plain = parseMountOptions(['ro', 'nosuid']);
  t.same(pick(plain), { set: 0, clr: 0 }, 'non-recursive options leave mount_setattr alone');
});

function pick(p: { recAttrSet: number; recAttrClr: number }): { set: number; clr: number } {
  return { set: p.recAttrSet, clr: p.recAttrClr };
}

t.test('unknown options go to data, in order', async (t) => {
  const p = parseMountOptions(['mode=755', 'nosuid', 'size=65536k', '', 'acl', 'newinstance']);
  t.same(p.data, ['mode=755', 'size=65536k', 'acl', 'newinstance']);
  t.equal(p.flags, MS_NOSUID);
  t.same(parseMountOptions([]).data, []);
  t.same(parseMountOptions(['RO']).data, ['RO'], 'option names are case-sensitive');
});

t.test('extensions are flagged and never passed to mount(2)', async (t) => {
  const p = parseMountOptions(['tmpcopyup', 'idmap', 'ridmap', 'tmpcopyup', 'bind']);
  t.ok(p.tmpcopyup);
  t.equal(p.idmap, 'ridmap', 'the last of idmap/ridmap wins');
  t.same(p.extensions, ['tmpcopyup', 'idmap', 'ridmap']);
  t.same(p.data, []);
  t.equal(p.flags, MS_BIND);
  const none = parseMountOptions(['ro']);
  t.notOk(none.tmpcopyup);
  t.equal(none.idmap, null);
  t.same(none.extensions, []);
  t.equal(parseMountOptions(['idmap']).idmap, 'idmap');
});
