// tsrun's errors as ttrpc statuses, so containerd's errdefs see what kind of failure it was
// (a missing container is NotFound, a wrong state FailedPrecondition), with tsrun's message.
import { RuntimeError, StateError, UnsupportedError, SpecError } from '../errors';
import { Code, TtrpcError } from './ttrpc/codes';

export function toTtrpcError(e: unknown): TtrpcError {
  if (e instanceof TtrpcError) return e;
  if (e instanceof StateError) return new TtrpcError(e.code === 'not-found' ? Code.NOT_FOUND : Code.FAILED_PRECONDITION, e.message);
  if (e instanceof UnsupportedError) return new TtrpcError(Code.UNIMPLEMENTED, e.message);
  if (e instanceof SpecError) return new TtrpcError(Code.INVALID_ARGUMENT, e.message);
  if (e instanceof RuntimeError) return new TtrpcError(Code.UNKNOWN, e.message);
  return new TtrpcError(Code.INTERNAL, `internal error: ${(e as Error)?.message ?? String(e)}`);
}
