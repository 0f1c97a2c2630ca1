/**
 * CloudFront behaviours of a project, following OpenNext's `open-next.output.json`. The `*`
 * pattern is CloudFront's default behaviour (the server); the manifest's array is not in
 * precedence order, so the patterns are sorted here: CloudFront takes the first match.
 */

export type Origin = 'server' | 'image' | 'assets';

export interface Behaviour {
  pattern: string;
  origin: Origin;
}

/** What OpenNext 4 emits for an App Router app; used until a manifest is known. */
export const DEFAULT_BEHAVIOURS: readonly Behaviour[] = [
  { pattern: '_next/image*', origin: 'image' },
  { pattern: '_next/data/*', origin: 'server' },
  { pattern: 'api/*', origin: 'server' },
  { pattern: '_next/*', origin: 'assets' },
  { pattern: 'BUILD_ID', origin: 'assets' },
  { pattern: 'favicon.ico', origin: 'assets' },
];

/** CloudFront allows 25 cache behaviours per distribution by default, the default one aside. */
export const MAX_BEHAVIOURS = 24;

export interface OpenNextManifest {
  behaviors: { pattern: string; origin?: string }[];
}

export function behavioursFromManifest(manifest: OpenNextManifest): Behaviour[] {
  const behaviours = manifest.behaviors
    .filter((b) => b.pattern !== '*')
    .map((b): Behaviour => ({ pattern: b.pattern, origin: b.origin === 's3' ? 'assets' : b.origin === 'imageOptimizer' ? 'image' : 'server' }));
  return sortBehaviours(behaviours);
}

/** Exact paths first, then longer literal prefixes: `_next/image*` must win over `_next/*`. */
export function sortBehaviours(behaviours: readonly Behaviour[]): Behaviour[] {
  const literal = (p: string) => p.split(/[*?]/)[0]!.length;
  const exact = (p: string) => !/[*?]/.test(p);
  return [...behaviours].sort((a, b) => Number(exact(b.pattern)) - Number(exact(a.pattern)) || literal(b.pattern) - literal(a.pattern) || a.pattern.localeCompare(b.pattern));
}

/** A CloudFront path pattern (`*` any characters, `?` one) as an anchored regex over the request URI. */
export function patternRegex(pattern: string): string {
  const body = pattern.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return `^/${body}$`;
}
