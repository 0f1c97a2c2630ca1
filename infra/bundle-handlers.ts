import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zipFiles } from '../src/lib/zip-files.js';
import { HANDLER_NAMES } from '../src/adapters/aws/resource-names.js';


export interface HandlerBundle {
  name: string;
  zipPath: string;
  /** Size of the zip, as uploaded. */
  bytes: number;
  /** Size of the bundled JavaScript before zipping. */
  codeBytes: number;
  /** sha256 of the zip, hex: the same sources give the same zip, so `handlers/<sha256>/<name>.zip` changes only when the code does. */
  sha256: string;
  /** The npm packages bundled in (from esbuild's metafile), so a test can see a side-effect-only import (the SigV4A signer) made it. */
  packages: string[];
}

/**
 * The handler sources: `infra/handlers` found upwards from this file, which runs from infra/ in
 * tests, from dist/infra/ when compiled, and from a chunk of the bundled CLI in dist/cli/.
 */
function defaultEntryDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [join(dir, 'handlers'), join(dir, 'infra', 'handlers')]) {
      if (existsSync(join(candidate, 'webhook.ts')) || existsSync(join(candidate, 'webhook.js'))) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), 'handlers');
    dir = parent;
  }
}

/**
 * Bundles each Lambda entry (`<entryDir>/<name>.ts`, exporting `handler`) with esbuild into one
 * ESM file, and zips it as `index.mjs` (+ its source map) for the `index.handler` the platform
 * stack configures. The AWS SDK is bundled too: the versions are the ones package.json pins, not
 * whatever the runtime happens to ship.
 */
export async function bundleHandlers(outDir: string, options: { entryDir?: string; names?: readonly string[] } = {}): Promise<HandlerBundle[]> {
  const entryDir = resolve(options.entryDir ?? defaultEntryDir());
  await mkdir(outDir, { recursive: true });
  const bundles: HandlerBundle[] = [];
  for (const name of options.names ?? HANDLER_NAMES) {
    const result = await build({
      entryPoints: [entryFile(entryDir, name)],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: true,
      sourcemap: 'external',
      outfile: 'index.mjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      // Some bundled CommonJS dependencies call require() for Node built-ins.
      banner: { js: "import { createRequire as __anchorCreateRequire } from 'node:module'; const require = __anchorCreateRequire(import.meta.url);" },
    });
    const files = result.outputFiles
      .map((f) => ({ name: f.path.endsWith('.map') ? 'index.mjs.map' : 'index.mjs', data: f.contents }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const zip = zipFiles(files);
    const zipPath = join(outDir, `${name}.zip`);
    await writeFile(zipPath, zip);
    bundles.push({
      name,
      zipPath,
      bytes: zip.length,
      codeBytes: files.find((f) => f.name === 'index.mjs')?.data.length ?? 0,
      sha256: createHash('sha256').update(zip).digest('hex'),
      packages: bundledPackages(Object.keys(result.metafile.inputs)),
    });
  }
  return bundles;
}

function bundledPackages(inputs: string[]): string[] {
  const names = new Set<string>();
  for (const input of inputs) {
    const at = input.lastIndexOf('node_modules/');
    const match = at < 0 ? null : /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.slice(at));
    if (match) names.add(match[1]!);
  }
  return [...names].sort();
}

/** The sources in a checkout, the compiled `.js` in dist/ (where the installed CLI runs from). */
function entryFile(entryDir: string, name: string): string {
  const js = join(entryDir, `${name}.js`);
  return !existsSync(join(entryDir, `${name}.ts`)) && existsSync(js) ? js : join(entryDir, `${name}.ts`);
}
