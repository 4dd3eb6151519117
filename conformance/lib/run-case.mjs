// How one case runs. A case is { name, rule, patch?, script?, expect?, status?, fail?, run?, skip? }:
//   patch(config, ctx)  edits the bundle's config.json (may return a replacement)
//   script              process.args becomes ["sh", "-c", script] (applied before patch)
//   fail                the case is a `*_fail` case: `tsrun create` must refuse, with stderr
//                       containing every string (or matching every RegExp) given, and leave nothing
//   run(ctx)            a custom body (lifecycle cases with several commands)
//   otherwise           `tsrun run` in the foreground must exit `status` (default 0), then
//                       expect(result, ctx) checks what the container printed
import { failed, eq, includes, match, succeeded } from './assert.mjs';

/**
 * Asserts that a result is a refusal whose stderr names every needle.
 * @param {import('./assert.mjs').CommandResult} r
 * @param {string | RegExp | Array<string | RegExp>} needles
 * @param {string} [what]
 */
export function assertRefusal(r, needles, what = 'tsrun create') {
  failed(r, what);
  for (const n of Array.isArray(needles) ? needles : [needles]) {
    if (n instanceof RegExp) match(r.stderr, n, `${what} stderr`);
    else includes(r.stderr, n, `${what} stderr`);
  }
}

/** `tsrun create` must fail, name the problem, and leave no container behind. */
export function expectCreateRefused(ctx, needles, opts = {}) {
  const r = ctx.create(opts.id ?? ctx.id, opts);
  assertRefusal(r, needles);
  ctx.assertNothingLeft(opts.id ?? ctx.id, opts);
  return r;
}

export async function runCase(c, ctx) {
  if (c.script !== undefined) ctx.config.process.args = ['sh', '-c', c.script];
  if (c.patch) {
    const replaced = c.patch(ctx.config, ctx);
    if (replaced !== undefined) ctx.config = replaced;
  }
  if (c.run) return c.run(ctx);
  if (c.fail !== undefined) {
    expectCreateRefused(ctx, c.fail);
    return;
  }
  const r = ctx.run();
  if (c.status === undefined) succeeded(r, 'tsrun run');
  else eq(r.status, c.status, 'tsrun run exit status');
  if (c.expect) await c.expect(r, ctx);
}
