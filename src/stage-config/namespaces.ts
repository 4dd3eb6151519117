// What the parent asks of a stage's namespaces: which to create or join (and a new user
// namespace's maps), and a new time namespace's offsets. Made by spec/convert.ts from
// config.json, used by the launcher (launcher/parent/ns-window.ts, trampoline.ts): it sits
// below both, as init-config.ts and exec-config.ts do.
import type { NamespaceType } from '../linux/namespace-table';
import type { IdMapping } from '../linux/id-maps';

export type { WindowNs } from '../linux/namespace-table';

export interface NsRequest {
  type: NamespaceType;
  /** Join this namespace; absent = create a new one. */
  path?: string;
  /** A new user namespace's maps (linux.uidMappings/gidMappings), written by the parent. */
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface TimeOffsets {
  monotonic?: { secs: number; nanosecs: number };
  boottime?: { secs: number; nanosecs: number };
}
