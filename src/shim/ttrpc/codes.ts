// gRPC status codes (google.golang.org/grpc/codes), which ttrpc puts in Response.status.code and
// containerd turns back into its errdefs (errdefs/grpc.go FromGRPC): NotFound -> ErrNotFound,
// AlreadyExists -> ErrAlreadyExists, FailedPrecondition -> ErrFailedPrecondition,
// Unimplemented -> ErrNotImplemented, InvalidArgument -> ErrInvalidArgument.
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** An error a handler throws to answer with a given status code. */
export class TtrpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
