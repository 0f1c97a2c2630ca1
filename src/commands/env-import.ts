import { readFileSync } from 'node:fs';
import { AnchorError } from '../core/errors.js';
import { parseEnvImport } from '../core/env-import.js';
import { parseTargets } from '../core/env-var.js';
import type { Context } from '../cli/context.js';

export default async function envImport(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [project = '', file = ''] = args;
  let text: string;
  try {
    text = readFileSync(ctx.resolvePath(file), 'utf8');
  } catch (error) {
    throw new AnchorError({ code: 'FILE_UNREADABLE', kind: 'usage', message: `Cannot read ${file}: ${(error as Error).message}.`, hint: 'Check the path; it is resolved from the current directory.' });
  }
  const targets = parseTargets(options.target as string | undefined);
  const secret = options.secret === true;
  // The file is read here on every platform: a bad line is named by number before anything is sent.
  const vars = parseEnvImport({ text, secret, targets, source: file });
  const { imported } = await (await ctx.operations()).importEnv({ project, vars });
  ctx.ui.result({ project, imported, secret, targets }, () => `${ctx.ui.colors.green('✔')} Imported ${imported.length} variable${imported.length === 1 ? '' : 's'} into "${project}"${imported.length ? `: ${imported.join(', ')}` : ''}.`);
}
