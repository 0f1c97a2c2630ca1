import { constants } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OPEN_NEXT_BUILD, PACKAGING_DRIVER } from '../../../core/build-recipe.js';
import { errorMessage } from '../../../core/errors.js';
import { templatesDir } from '../../../lib/templates-dir.js';
import type { ProjectBuildCache } from './build-cache.js';
import { findExecutable } from './package-manager.js';

/** The driver's folder in a build's scratch dir (removed with the clone once the build ends). */
export const PACKAGING_DIR = 'packaging';

export interface OpenNextCommandInput {
  /** The app's `open-next` executable: what runs when the cache cannot be used. */
  openNext: string;
  cache: ProjectBuildCache | null;
  /** The build's own folder (the sandbox sees it): the driver is copied into it. */
  scratch: string;
  /** The PATH the build step runs with (the driver runs with the `node` found there). */
  path: string;
  log: (line: string) => void;
  handOver: (path: string, options?: { recursive?: boolean }) => Promise<void>;
}

/**
 * The command the OpenNext build step runs: anchor's driver with the project's packaging cache
 * (templates/open-next-build.mjs), or plain `open-next build` when there is no cache to use, with
 * a line in the log that says why.
 */
export async function openNextCommand(input: OpenNextCommandInput): Promise<{ file: string; args: string[] }> {
  const plain = { file: input.openNext, args: [...OPEN_NEXT_BUILD.args] };
  const dir = input.cache === null ? null : await input.cache.entry(PACKAGING_DRIVER.cacheEntry, input.log);
  if (dir === null) {
    input.log('▸ Packaging cache not used (no build cache): full OpenNext build');
    return plain;
  }
  const driverDir = join(input.scratch, PACKAGING_DIR);
  try {
    // The scratch dir is the build's: the steps before this one could have left a folder here
    // with links in it, which a plain copy would follow (with the server's rights) and write
    // through. A fresh folder, and files that must not exist yet.
    await rm(driverDir, { recursive: true, force: true });
    await mkdir(driverDir);
    for (const file of PACKAGING_DRIVER.files) await copyFile(join(templatesDir(), file), join(driverDir, file), constants.COPYFILE_EXCL);
    await input.handOver(driverDir, { recursive: true });
    await input.handOver(dir);
  } catch (error) {
    input.log(`▸ Packaging cache not used (${errorMessage(error)}): full OpenNext build`);
    return plain;
  }
  const node = (await findExecutable('node', input.path)) ?? process.execPath;
  return { file: node, args: [join(driverDir, PACKAGING_DRIVER.main), '--cache', dir] };
}
