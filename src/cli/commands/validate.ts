// `tsrun validate [--bundle DIR]`: the checks `create` runs, without creating anything.
import { loadBundleConfig } from '../../spec/load';
import { convertSpec } from '../../spec/convert';
import { checkRootless, hostFacts, rootlessCaller } from '../../spec/rootless';
import { help, parseFlags, str } from '../args';
import { writeOut } from '../output';

export async function validateCommand(argv: string[]): Promise<number> {
  const a = parseFlags('validate', argv, { string: ['bundle'], alias: { b: 'bundle' } });
  if (a.help) return help('Usage: tsrun validate [--bundle DIR]\n\nCheck a bundle\'s config.json against the runtime-spec and what tsrun supports.\n');
  const { spec, bundle } = loadBundleConfig(str(a, 'bundle') ?? '.');
  // As create: a non-root caller's own rules first (src/spec/rootless.ts).
  const caller = rootlessCaller();
  if (caller) checkRootless(spec, caller, hostFacts());
  convertSpec(spec, 'validate', bundle, undefined, undefined, caller?.inUserNs);
  writeOut(`${bundle}/config.json is valid\n`);
  return 0;
}
