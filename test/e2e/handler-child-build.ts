import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const repo = resolve(import.meta.dirname, '../..');
const sources = ['handler-child.ts', 'function-url-event.ts', 'lambda-response-stream.ts'].map((file) => join(repo, 'src/adapters/local/runtime', file));
const output = join(repo, 'dist/src/adapters/local/runtime/handler-child.js');

/**
 * The handler child runs as plain Node, so it must exist compiled in dist/. `npm test` builds
 * first; a lone `npx vitest run` may not have, so bundle it here when dist/ is missing or stale
 * (the same program tsc would emit, in one file).
 */
export async function ensureHandlerChildBuilt(): Promise<void> {
  const builtAt = existsSync(output) ? statSync(output).mtimeMs : 0;
  if (sources.every((file) => statSync(file).mtimeMs <= builtAt)) return;
  const result = await build({ entryPoints: [sources[0] ?? ''], outfile: output, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', write: false });
  // Another test process may be starting the child right now: never let it see half a file.
  const temp = `${output}.${process.pid}.tmp`;
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(temp, result.outputFiles[0]?.contents ?? '');
  renameSync(temp, output);
}
