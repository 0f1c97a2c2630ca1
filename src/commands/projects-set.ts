import type { Context } from '../cli/context.js';
import { parseBuildSize } from '../core/project.js';
import { setProjectBuildSize } from '../core/use-cases/projects.js';

export default async function projectsSet(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [name = ''] = args;
  const buildSize = parseBuildSize(String(options.buildSize));
  const { config, ports } = await ctx.platform();
  const project = await setProjectBuildSize(ports, { name, buildSize });
  const note = config.backend === 'aws' ? 'The next build runs on it.' : 'Local builds run on this machine whatever the size; it applies on aws.';
  ctx.ui.result({ project: project.name, buildSize }, () => `${ctx.ui.colors.green('✔')} "${project.name}" builds on size ${buildSize}. ${note}`);
}
