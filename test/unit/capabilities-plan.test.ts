// planCapabilities (src/security/capabilities.ts): what is granted, what is a warning (shown at
// the default log level) and what is only a debug line.
import t from 'tap';
import { planCapabilities } from '../../src/security/capabilities';
import { capabilityNumber, LAST_KNOWN_CAP } from '../../src/security/capability-table';
import { defaultSpec } from '../../src/spec/default-spec';
import type { LinuxCapabilities } from '../../src/spec/types';

const ALL = Array.from({ length: LAST_KNOWN_CAP + 1 }, (_, i) => i);
const num = (names: string[]): number[] => names.map((n) => capabilityNumber(n) as number);

t.test("tsrun spec's own capabilities plan without a warning", async (t) => {
  // runc's default (and so tsrun spec's) lists ambient capabilities but no inheritable set, so
  // the kernel cannot raise them. runc tries PR_CAP_AMBIENT_RAISE and ignores the failure.
  const caps = (defaultSpec() as { process: { capabilities: LinuxCapabilities } }).process.capabilities;
  t.ok(caps.ambient?.length, 'the default spec does list ambient capabilities');
  t.notOk(caps.inheritable?.length, 'and no inheritable ones');
  const plan = planCapabilities(caps, LAST_KNOWN_CAP, ALL);
  t.same(plan.warnings, [], 'no warning at the default log level');
  t.same(plan.ambient, [], 'nothing is raised');
  t.same(plan.debug, [`ambient capabilities ${caps.ambient?.join(', ')} not raised: not in both the permitted and inheritable sets`]);
  t.same(plan.bounding, num(caps.bounding ?? []));
  t.same(plan.effective, num(caps.effective ?? []));
  t.same(plan.permitted, num(caps.permitted ?? []));
});

t.test('ambient capabilities in both permitted and inheritable are raised, the rest only noted', async (t) => {
  const plan = planCapabilities(
    { bounding: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN'] },
    LAST_KNOWN_CAP,
    ALL,
  );
  t.same(plan.ambient, num(['CAP_KILL']));
  t.same(plan.warnings, []);
  t.same(plan.debug, ['ambient capabilities CAP_CHOWN not raised: not in both the permitted and inheritable sets']);
});

t.test('what the user asked for and cannot have is still a warning', async (t) => {
  const plan = planCapabilities(
    { bounding: ['CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_NOPE'], permitted: ['CAP_KILL', 'CAP_SYS_RESOURCE'], inheritable: ['CAP_CHOWN'] },
    LAST_KNOWN_CAP,
    ALL.filter((c) => c !== capabilityNumber('CAP_SYS_RESOURCE')),
  );
  t.same(plan.warnings, [
    'unknown capability "CAP_NOPE" in effective set ignored',
    'permitted capabilities CAP_SYS_RESOURCE ignored: the runtime does not hold them',
    'inheritable capabilities CAP_CHOWN ignored: not in the bounding set',
    'effective capabilities CAP_CHOWN ignored: not in the permitted set',
  ]);
  t.same(plan.debug, []);
});
