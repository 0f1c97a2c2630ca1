// Module hooks for anchor's OpenNext build (open-next-build.mjs registers them): when OpenNext's
// server bundler imports its code patcher, it gets OpenNext's module with one export,
// applyCodePatches, taken from open-next-patch-cache.mjs instead. Every other import resolves as usual.
let bundler = '';
let cache = '';
const VIRTUAL = 'anchor-pack:code-patcher?original=';

export function initialize(data) {
  bundler = data.bundler;
  cache = data.cache;
}

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL === bundler && specifier === './patch/codePatcher.js') {
    const original = await nextResolve(specifier, context);
    return { url: `${VIRTUAL}${encodeURIComponent(original.url)}`, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith(VIRTUAL)) return nextLoad(url, context);
  const original = decodeURIComponent(url.slice(VIRTUAL.length));
  // A module's own named export wins over the same name from `export *`.
  const source = `export * from ${JSON.stringify(original)};\nexport { applyCodePatches } from ${JSON.stringify(`${cache}?original=${encodeURIComponent(original)}`)};\n`;
  return { format: 'module', source, shortCircuit: true };
}
