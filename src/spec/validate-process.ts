// Validation of a process object on its own (`tsrun exec`: a --process file, or the container's
// process with the command line's overrides): the Process schema, then the same named semantic
// checks and refusals as config.json, so an exec'd process is held to the rules of `create`.
// Uses a validator generated for Process alone, so `tsrun exec` does not parse the config's.
import { SpecError } from '../errors';
import { runSemanticChecks } from './checks';
import { refuseUnsupported } from './unsupported';
import { validateProcess } from './generated/process-validator';
import { runSchema } from './schema-errors';
import type { Process, Spec } from './types';
import { SPEC_VERSION } from './version';

/** Returns the process wrapped in a minimal config (pointers read /process/...), or throws SpecError. */
export function validateProcessDoc(raw: unknown): Spec {
  try {
    runSchema(validateProcess, raw, 'the process');
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`/process${e.pointer}`, e.message.slice(e.pointer ? e.pointer.length + 2 : 0), e.code);
    throw e;
  }
  const spec = { ociVersion: SPEC_VERSION, root: { path: '/' }, process: raw as Process } as Spec;
  // The container's own rules (its namespaces) were applied at create; exec.ts refuses what its
  // kind of container cannot give an exec'd process (a terminal without a mount namespace).
  runSemanticChecks(spec, { processOnly: true });
  refuseUnsupported(spec);
  return spec;
}
