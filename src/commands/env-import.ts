import { readFileSync } from 'node:fs';
import { AnchorError } from '../core/errors.js';
import { parseTargets } from '../core/env-var.js';
import { importEnv } from '../core/use-cases/env.js';
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
  const { ports } = await ctx.platform();
  const { imported } = await importEnv(ports, { project, text, secret: options.secret === true, targets, source: file });
  ctx.ui.result({ project, imported, secret: options.secret === true, targets }, () => `${ctx.ui.colors.green('✔')} Imported ${imported.length} variable${imported.length === 1 ? '' : 's'} into "${project}"${imported.length ? `: ${imported.join(', ')}` : ''}.`);
}
