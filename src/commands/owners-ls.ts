import type { Context } from '../cli/context.js';
import { table } from './table.js';

export default async function ownersLs(ctx: Context): Promise<void> {
  const platform = await ctx.platform();
  const owners = await (await platform.access()).listOwners();
  ctx.ui.result(owners, () => table(['ID', 'NAME', 'CREATED'], owners.map((o) => [o.id, o.name, o.createdAt])));
}
