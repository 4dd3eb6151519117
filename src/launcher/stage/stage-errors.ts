// How a failure inside the init or exec stage becomes an `error` message for the parent
// (protocol.ts): the step it happened in, plus syscall, errno and path when the kernel said no.
import { StepError } from './step';
import { RuntimeError, SyscallError } from '../../errors';
import type { ErrorMsg } from '../protocol';

export function errorMessage(step: string, e: unknown): ErrorMsg {
  const err = e instanceof StepError ? e.cause : e;
  const s = e instanceof StepError ? e.step : step;
  if (err instanceof SyscallError) {
    return { type: 'error', step: s, message: err.message, code: err.code, syscall: err.syscall, errno: err.errno, path: err.path };
  }
  if (err instanceof RuntimeError) return { type: 'error', step: s, message: err.message, code: err.code };
  return { type: 'error', step: s, message: err instanceof Error ? err.message : String(err) };
}
