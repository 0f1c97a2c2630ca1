import type { Context } from '../cli/context.js';
import { addOwner } from '../core/use-cases/tokens.js';

/** `anchor owners add <name>`: a person or team projects and tokens can belong to. */
export default async function ownersAdd(ctx: Context, args: string[]): Promise<void> {
  const [name = ''] = args;
  const platform = await ctx.platform();
  const owner = await addOwner({ ...platform.ports, access: await platform.access() }, { name });
  ctx.ui.result(owner, () => [
    `${ctx.ui.colors.green('✔')} Added owner "${owner.name}" (${owner.id}).`,
    `  Give them a project: anchor projects add <name> --repo <repo> --owner ${owner.name}`,
    `  and a token: anchor tokens create --name ${owner.name}-admin --owner ${owner.name} --scope admin`,
  ]);
}
