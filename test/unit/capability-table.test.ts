// Tests for src/security/capability-table.ts: capability names, numbers and capset words.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import {
  ALL_CAP_NAMES, CAPABILITIES, LAST_KNOWN_CAP, capabilityName, capabilityNumber, capsToWords,
  parseCapabilities, wordsToCaps,
} from '../../src/security/capability-table';
import { withCapability } from '../../src/security/capabilities';

t.test('table covers CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) without gaps', async (t) => {
  t.equal(ALL_CAP_NAMES.length, 41);
  t.equal(LAST_KNOWN_CAP, 40);
  ALL_CAP_NAMES.forEach((name, i) => t.equal(CAPABILITIES[name], i, name));
  t.equal(capabilityNumber('CAP_CHOWN'), 0);
  t.equal(capabilityNumber('CAP_SYS_ADMIN'), 21);
  t.equal(capabilityNumber('CAP_SETFCAP'), 31);
  t.equal(capabilityNumber('CAP_MAC_OVERRIDE'), 32);
  t.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
});

t.test('name <-> number round-trips', async (t) => {
  for (let n = 0; n <= LAST_KNOWN_CAP; n++) {
    const name = capabilityName(n);
    t.type(name, 'string');
    t.equal(capabilityNumber(name as string), n);
  }
  t.equal(capabilityName(41), undefined);
  t.equal(capabilityName(-1), undefined);
  t.equal(capabilityName(1.5), undefined);
  t.equal(capabilityNumber('cap_chown'), undefined, 'case-sensitive, as runc');
  t.equal(capabilityNumber('CHOWN'), undefined, 'CAP_ prefix required');
  t.equal(capabilityNumber('toString'), undefined, 'no prototype keys');
});

t.test('parseCapabilities: unknown names are reported, not fatal', async (t) => {
  t.same(parseCapabilities([]), { known: [], unknown: [] });
  t.same(parseCapabilities(['CAP_KILL', 'CAP_FOO', 'CAP_CHOWN', 'cap_net_raw', 'CAP_KILL', 'CAP_FOO']), {
    known: [5, 0],
    unknown: ['CAP_FOO', 'cap_net_raw'],
  });
  t.same(parseCapabilities([...ALL_CAP_NAMES]).known, ALL_CAP_NAMES.map((_, i) => i));
});

t.test('capsToWords packs capset(2) data words', async (t) => {
  t.same(capsToWords([]), [0, 0]);
  t.same(capsToWords([0]), [1, 0]);
  t.same(capsToWords([31]), [0x8000_0000, 0], 'bit 31 stays an unsigned word');
  t.same(capsToWords([32]), [0, 1]);
  t.same(capsToWords([40]), [0, 0x100]);
  t.same(capsToWords([0, 31, 32, 40, 0]), [0x8000_0001, 0x101], 'repeats are harmless');
  const all = ALL_CAP_NAMES.map((_, i) => i);
  t.same(capsToWords(all), [0xffff_ffff, 0x1ff]);
  t.same(wordsToCaps(capsToWords(all)), all, 'round-trip through wordsToCaps');
  t.same(wordsToCaps([0x8000_0001, 0x101]), [0, 31, 32, 40]);
  t.same(wordsToCaps([0, 0]), []);
  t.throws(() => capsToWords([64]), RangeError);
  t.throws(() => capsToWords([-1]), RangeError);
  t.throws(() => capsToWords([1.5]), RangeError);
});

// When the kernel headers are installed, the table must match them exactly.
const header = '/usr/include/linux/capability.h';
t.test('matches linux/capability.h', { skip: existsSync(header) ? false : `${header} not installed` }, async (t) => {
  const defs = new Map<string, number>();
  for (const m of readFileSync(header, 'utf8').matchAll(/^#define\s+(CAP_[A-Z_]+)\s+(\d+)\s*$/gm)) {
    defs.set(m[1], Number(m[2]));
  }
  for (const name of ALL_CAP_NAMES) t.equal(defs.get(name), CAPABILITIES[name], name);
  t.equal(defs.size, ALL_CAP_NAMES.length, 'no capability in the header is missing from the table');
});

t.test('withCapability: permitted and effective gain it, bounding and the others do not', async (t) => {
  const plan = { bounding: [5], effective: [5], permitted: [5], inheritable: [], ambient: [], warnings: [], debug: [] };
  const held = withCapability(plan, 21);
  t.same(held.permitted, [5, 21]);
  t.same(held.effective, [5, 21]);
  t.same(held.bounding, [5], 'the bounding set is not widened');
  t.same(withCapability(held, 21).permitted, [5, 21], 'no duplicates');
  t.same(plan.permitted, [5], 'the plan itself is left alone');
});
