import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Origin = 'assets' | 'image' | 'server';

interface Behavior {
  pattern: string;
  origin: string;
}

/**
 * The request routing of a build, read from its `open-next.output.json` behaviours, in the order
 * CloudFront would apply them: the array is not in precedence order, so more specific patterns
 * (longer literal prefixes) go first and `*` is the default.
 */
export class OpenNextRoutes {
  private constructor(private readonly rules: Array<{ test: RegExp; origin: Origin }>) {}

  static async load(artifactDir: string): Promise<OpenNextRoutes> {
    const manifest = JSON.parse(await readFile(join(artifactDir, 'open-next.output.json'), 'utf8')) as { behaviors?: Behavior[] };
    return OpenNextRoutes.from(manifest.behaviors ?? []);
  }

  static from(behaviors: readonly Behavior[]): OpenNextRoutes {
    const rules = behaviors
      .filter((b) => b.pattern !== '*')
      .sort((a, b) => literalPrefix(b.pattern).length - literalPrefix(a.pattern).length)
      .map((b) => ({ test: globToRegExp(b.pattern), origin: toOrigin(b.origin) }));
    return new OpenNextRoutes(rules);
  }

  originFor(urlPath: string): Origin {
    const path = urlPath.replace(/^\/+/, '');
    return this.rules.find((r) => r.test.test(path))?.origin ?? 'server';
  }
}

function toOrigin(origin: string): Origin {
  if (origin === 's3') return 'assets';
  if (origin === 'imageOptimizer') return 'image';
  return 'server';
}

function literalPrefix(pattern: string): string {
  const star = pattern.search(/[*?]/);
  return star === -1 ? pattern : pattern.slice(0, star);
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
