// Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for a device state (device-rules.ts), in the
// shape of runc's devicefilter (itself from crun's ebpf.c):
//
//   prologue   r2 = type   = ctx->access_type & 0xffff   (BPF_DEVCG_DEV_BLOCK 1 / CHAR 2)
//              r3 = access = ctx->access_type >> 16      (BPF_DEVCG_ACC_MKNOD 1 / READ 2 / WRITE 4)
//              r4 = ctx->major, r5 = ctx->minor          (struct bpf_cgroup_dev_ctx: three u32)
//   per exception, one block that falls through to the next block unless it matches:
//              if r2 != type goto next
//              [access check, see below]
//              if r4 != major goto next                  (left out for a wildcard major)
//              if r5 != minor goto next                  (left out for a wildcard minor)
//              r0 = verdict; exit
//   epilogue   r0 = default verdict; exit
//
// Return value 1 allows the access, 0 makes it fail with EPERM. All exceptions carry the same
// verdict (the opposite of the default), so their order does not matter. The access check copies
// the kernel's v1 matching, so the program answers exactly like deviceAllowed():
//   - default deny, allow exception: the request must be a subset of the exception's access
//     (r1 = r3 & access; if r1 != r3 goto next), as runc does;
//   - default allow, deny exception: any overlap denies (r1 = r3 & access; if r1 == 0 goto next),
//     the kernel's match_exception_partial; runc uses the subset test here too, which lets an
//     open for read+write through a "deny w" rule.
// The check is left out when the exception grants all of rwm (every request is a subset/overlaps).
// r1 (the context pointer) is free for scratch once the prologue has read the context.
// Verified: exact instructions and request-by-request equivalence with deviceAllowed() in
// test/unit/ebpf-device-filter.test.ts; loaded, attached and enforced by this host's kernel on its real
// cgroup2 mount in test/integration/ebpf-devices.test.ts (EPERM on /dev/full, /dev/null allowed).
import { assemble, and32Imm, type AsmItem, exit, jeqImm, jneImm, jneReg, label, ldxW, mov32Imm, mov32Reg, rsh32Imm } from './insn';
import { ACC_ALL, DEV_BLOCK, DEV_CHAR, type DeviceCgroupState, type DeviceException } from './device-rules';

/** MODULE_LICENSE-style string passed to BPF_PROG_LOAD; the device hook uses no GPL-only helper. */
export const DEVICE_FILTER_LICENSE = 'Apache';

const PROLOGUE: readonly AsmItem[] = [
  ldxW(2, 1, 0),
  and32Imm(2, 0xffff),
  ldxW(3, 1, 0),
  rsh32Imm(3, 16),
  ldxW(4, 1, 4),
  ldxW(5, 1, 8),
];

function block(e: DeviceException, defaultAllow: boolean, next: string): AsmItem[] {
  const items: AsmItem[] = [jneImm(2, e.type === 'c' ? DEV_CHAR : DEV_BLOCK, next)];
  if (e.access !== ACC_ALL) {
    items.push(mov32Reg(1, 3), and32Imm(1, e.access));
    items.push(defaultAllow ? jeqImm(1, 0, next) : jneReg(1, 3, next));
  }
  if (e.major >= 0) items.push(jneImm(4, e.major, next));
  if (e.minor >= 0) items.push(jneImm(5, e.minor, next));
  items.push(mov32Imm(0, defaultAllow ? 0 : 1), exit());
  return items;
}

/** The program's instructions with labels ("block-N"), before assembly. */
function deviceFilterItems(state: DeviceCgroupState): AsmItem[] {
  const items: AsmItem[] = [...PROLOGUE];
  state.exceptions.forEach((e, i) => {
    items.push(label(`block-${i}`), ...block(e, state.defaultAllow, `block-${i + 1}`));
  });
  items.push(label(`block-${state.exceptions.length}`), mov32Imm(0, state.defaultAllow ? 1 : 0), exit());
  return items;
}

/** The encoded program (struct bpf_insn array) for `state`. */
export function buildDeviceFilter(state: DeviceCgroupState): Buffer {
  return assemble(deviceFilterItems(state));
}
