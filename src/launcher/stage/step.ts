// A named step of the init or exec stage: a failure is reported to the parent with the step's
// name (protocol.ts error{step}), so "create failed (pivot_root): ..." says where it happened.
// Each step is also a point of the test-only step hook (src/step-hook.ts), and its end a trace
// point (TSRUN_TRACE=1 shows what each step of the stage costs).
import { reached } from '../../step-hook';
import { trace } from '../../trace';

export class StepError extends Error {
  constructor(readonly step: string, readonly cause: unknown) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export function step<T>(name: string, fn: () => T): T {
  reached(name);
  let r: T;
  try {
    r = fn();
  } catch (e) {
    throw new StepError(name, e);
  }
  trace(`step ${name} done`);
  return r;
}
