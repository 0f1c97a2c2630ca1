import { behavioursOf, type OpenNextManifest } from '../../src/core/opennext-output.js';

/**
 * CloudFront behaviours of a project, following OpenNext's `open-next.output.json` in the one
 * precedence order the local edge uses too (src/core/opennext-output.ts). The `*` pattern is
 * CloudFront's default behaviour (the server).
 */
export { DEFAULT_BEHAVIOURS, patternRegex, sortBehaviours, type Behaviour, type Origin } from '../../src/core/opennext-output.js';

/** CloudFront allows 25 cache behaviours per distribution by default, the default one aside. */
export const MAX_BEHAVIOURS = 24;

export function behavioursFromManifest(manifest: OpenNextManifest): ReturnType<typeof behavioursOf> {
  return behavioursOf(manifest);
}
