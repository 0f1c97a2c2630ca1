import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGING_DRIVER, RECIPE_LOG } from '../../src/core/build-recipe.js';
import { templatesDir } from '../../src/lib/templates-dir.js';

/**
 * What a CodeBuild build keeps for the project's next one, through CodeBuild's S3 cache (the
 * buildspec's `cache: paths:`, in the project's own folder of the artifacts bucket, named by each
 * StartBuild's cacheOverride): the same as the local builder keeps in the project's build cache.
 * - npm's download cache (~/.npm), for `npm ci`;
 * - Next.js's `.next/cache`, copied into the app before the build and out of it after;
 * - the OpenNext driver's packaging cache (the patched Next.js files and the image function's
 *   install, templates/open-next-build.mjs), which the driver bounds itself.
 * A build can write only its own project's folder (the project's build role), so a hostile app
 * can spoil no other project's cache.
 */

/** Where the buildspec keeps anchor's part of the cache (ANCHOR_BUILD_CACHE; the default is CodeBuild's root HOME). */
export const BUILD_CACHE_DIR = '/root/.anchor-cache';
/** CodeBuild's cache paths: literal, restored at the same place. */
export const BUILD_CACHE_PATHS = ['/root/.npm/**/*', `${BUILD_CACHE_DIR}/**/*`] as const;
/** Above this, `.next/cache` is not kept (Next's image and fetch caches can grow without end). */
export const NEXT_CACHE_MAX_MB = 512;

const RESTORED = '▸ Restored .next/cache from the previous build';

export const CACHE_STEPS = {
  restoreNext: `if [ -d "$ANCHOR_BUILD_CACHE/next" ]; then rm -rf .next/cache && mkdir -p .next && cp -a "$ANCHOR_BUILD_CACHE/next" .next/cache && echo '${RESTORED}'; fi`,
  saveNext: `if [ -d .next/cache ] && [ "$(du -sm .next/cache | cut -f1)" -le ${NEXT_CACHE_MAX_MB} ]; then rm -rf "$ANCHOR_BUILD_CACHE/next" && mkdir -p "$ANCHOR_BUILD_CACHE" && cp -a .next/cache "$ANCHOR_BUILD_CACHE/next"; else rm -rf "$ANCHOR_BUILD_CACHE/next"; fi`,
} as const;

const DRIVER_DIR = '$CODEBUILD_SRC_DIR/anchor-packaging';

/** The driver's files, written from the buildspec itself (base64: no quoting can break them). */
export function writeDriver(): string {
  const files = PACKAGING_DRIVER.files.map((file) => `echo '${readFileSync(join(templatesDir(), file)).toString('base64')}' | base64 -d > "${DRIVER_DIR}/${file}"`);
  return [`mkdir -p "${DRIVER_DIR}"`, ...files].join(' && ');
}

/**
 * Recipe step 3: the driver (which runs open-next's steps, or `open-next build` itself) with
 * open-next from the app's or a parent's node_modules/.bin (workspaces hoist), as locally.
 */
export const PACKAGING_STEP = [
  `anchor_bins=""; anchor_dir="$PWD"; while :; do anchor_bins="$anchor_bins:$anchor_dir/node_modules/.bin"; if [ "$anchor_dir" = "$ANCHOR_REPO_DIR" ] || [ "$anchor_dir" = / ]; then break; fi; anchor_dir="$(dirname "$anchor_dir")"; done`,
  `echo '${RECIPE_LOG.build}'`,
  `PATH="\${anchor_bins#:}:$PATH" node "${DRIVER_DIR}/${PACKAGING_DRIVER.main}" --cache "$ANCHOR_BUILD_CACHE/${PACKAGING_DRIVER.cacheEntry}"`,
].join('; ');
