// applyCodePatches for OpenNext's server bundler (open-next-hooks.mjs puts it there): each traced
// file whose patched result is in the project's packaging cache is written from it; OpenNext's own
// applyCodePatches patches the rest, and their results are kept for the next build.
//
// A file's key is everything its patched content depends on: its content, the patches whose
// version range and path filter select it (their names, positions and filters), the OpenNext
// version, the Next.js version and the bundler (one patch writes `TURBOPACK` from it). The patches
// of the versions open-next-build.mjs accepts read nothing else (each is `createPatchCode(rule)`,
// a function of the code alone).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readIfFile, touch, writeEntry } from './open-next-cache-files.mjs';

const original = new URL(import.meta.url).searchParams.get('original');
const codePatcher = await import(original);
const { getBundlerRuntime } = await import(new URL('../helper.js', original).href);

/** What the build reports at its end (open-next-build.mjs prints it). */
const stats = (globalThis.__anchorPatchCache ??= { reused: 0, patched: 0, ms: 0 });

export async function applyCodePatches(buildOptions, tracedFiles, manifests, patchSets) {
  const cacheDir = process.env.ANCHOR_PACK_CACHE;
  if (!cacheDir) return codePatcher.applyCodePatches(buildOptions, tracedFiles, manifests, patchSets);
  const started = performance.now();
  const dir = path.join(cacheDir, 'patches');
  const patches = patchSets.flatMap(({ name, patches: list }) =>
    list.map((patch, i) => ({ patch, id: `${name}#${i}:${patch.pathFilter}:${patch.contentFilter ?? ''}` })).filter(({ patch }) => codePatcher.isVersionInRange(buildOptions.nextVersion, patch.versions)),
  );
  const base = [process.env.ANCHOR_PACK_KEY ?? '', buildOptions.nextVersion, getBundlerRuntime(buildOptions)].join('\0');
  const misses = [];
  const entries = new Map();
  for (const file of tracedFiles) {
    const ids = patches.filter(({ patch }) => file.match(patch.pathFilter)).map(({ id }) => id);
    if (ids.length === 0) continue;
    const content = fs.readFileSync(file);
    const entry = path.join(dir, createHash('sha256').update(base).update('\0').update(ids.join('\n')).update('\0').update(content).digest('hex'));
    const saved = readIfFile(entry);
    if (saved === null) {
      misses.push(file);
      entries.set(file, entry);
      continue;
    }
    fs.writeFileSync(file, saved);
    touch(entry);
    stats.reused += 1;
  }
  if (misses.length > 0) await codePatcher.applyCodePatches(buildOptions, misses, manifests, patchSets);
  for (const file of misses) writeEntry(entries.get(file), fs.readFileSync(file));
  stats.patched += misses.length;
  stats.ms += performance.now() - started;
}
