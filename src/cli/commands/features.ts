// `tsrun features`: the features document as JSON (features.md).
import { buildFeatures } from '../../features';
import { help, parseFlags } from '../args';
import { writeOut } from '../output';

export async function featuresCommand(argv: string[]): Promise<number> {
  const a = parseFlags('features', argv, {});
  if (a.help) return help('Usage: tsrun features\n\nPrint what this tsrun supports, as the runtime-spec features JSON.\n');
  // Compile-time facts (features.md SHOULD): what the code handles, whatever this host mounts.
  writeOut(JSON.stringify(buildFeatures({ v1: true, v2: true }), null, 2) + '\n');
  return 0;
}
