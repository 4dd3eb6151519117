// `tsrun features`: the features document as JSON (features.md).
import { buildFeatures } from '../../features';
import { UsageError } from '../../errors';
import { help, parseFlags } from '../args';
import { writeOut } from '../output';

export async function featuresCommand(argv: string[]): Promise<number> {
  const a = parseFlags('features', argv, {});
  if (a.help) return help('Usage: tsrun features\n\nPrint what this tsrun supports, as the runtime-spec features JSON.\n');
  // runc's checkArgs(context, 0, exactArgs): an argument is an error, not ignored.
  if (a._.length > 0) throw new UsageError('"tsrun features" requires exactly 0 argument(s)');
  writeOut(JSON.stringify(buildFeatures(), null, 2) + '\n');
  return 0;
}
