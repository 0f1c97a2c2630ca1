import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLER_NAMES, type HandlerName } from '../../src/adapters/aws/resource-names.js';
import { zipFiles } from '../../src/lib/zip-files.js';

/**
 * Prebuilt handler zips for ANCHOR_HANDLER_BUNDLES, one per handler the platform stack runs, so a
 * test of `init --aws` does not run esbuild over the SDK. `version` changes what a handler returns
 * (a changed zip, uploaded again).
 */
export function writeHandlerBundles(dir: string, version: Partial<Record<HandlerName, string>> = {}): void {
  for (const name of HANDLER_NAMES) {
    writeFileSync(join(dir, `${name}.zip`), zipFiles([{ name: 'index.mjs', data: Buffer.from(`export const handler = async () => ${JSON.stringify(version[name] ?? name)};\n`) }]));
  }
}
