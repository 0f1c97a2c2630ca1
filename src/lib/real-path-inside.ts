import { realpath } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';

/**
 * `path` with every link on the way resolved, when that is inside `root` (itself resolved); null
 * when it leads out, or nowhere. For code that reads or moves, with its own rights, what someone
 * else wrote: a link they planted must never lead it out of their folder.
 */
export async function realPathInside(root: string, path: string): Promise<string | null> {
  const [realRoot, real] = await Promise.all([realpath(root).catch(() => null), realpath(path).catch(() => null)]);
  if (realRoot === null || real === null) return null;
  const inside = relative(realRoot, real);
  return inside.startsWith('..') || isAbsolute(inside) ? null : real;
}
