import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** anchor's `templates/` folder, found upwards from this file (it runs from src/ in tests, dist/src/ when built). */
export function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'templates', 'open-next.config.ts'))) return join(dir, 'templates');
    const parent = dirname(dir);
    if (parent === dir) throw new Error('anchor is installed without its templates/ folder; reinstall it.');
    dir = parent;
  }
}

/** anchor's default `open-next.config.ts`, which a build puts into an app that has none. */
export function defaultOpenNextConfigPath(): string {
  return join(templatesDir(), 'open-next.config.ts');
}
