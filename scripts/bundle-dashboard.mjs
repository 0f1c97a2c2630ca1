// Builds the web dashboard into dist/dashboard/: index.html and content-hashed assets under
// assets/ (served for good by the platform). Preact, bundled and minified: one small script and
// one stylesheet, both referenced from the HTML so the browser asks for them at once.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Raw and brotli (quality 11) bytes of each file the first page loads. */
export function sizes(files) {
  return files.map(({ name, bytes }) => ({
    name,
    raw: bytes.length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }));
}

/** Builds into `out` (default dist/dashboard/; tests build into a temp folder of their own). */
export async function buildDashboard(out = `${root}/dist/dashboard`) {
  await rm(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'dashboard/src/main.tsx', style: 'dashboard/src/styles.css' },
    outdir: `${out}/assets`,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'dashboard/tsconfig.json',
    minify: true,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  const html = (await readFile(`${root}/dashboard/index.html`, 'utf8')).replace('%JS%', `/assets/${js}`).replace('%CSS%', `/assets/${css}`);
  await mkdir(out, { recursive: true });
  await writeFile(`${out}/index.html`, html);
  const files = [
    { name: 'index.html', path: `${out}/index.html`, bytes: Buffer.from(html) },
    { name: js, path: `${out}/assets/${js}`, bytes: await readFile(`${out}/assets/${js}`) },
    { name: css, path: `${out}/assets/${css}`, bytes: await readFile(`${out}/assets/${css}`) },
  ];
  // Precompressed copies beside each file: both backends send the one the browser takes (API
  // Gateway compresses nothing, and a Lambda need not spend its time on it).
  for (const file of files) {
    await writeFile(`${file.path}.br`, brotliCompressSync(file.bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    await writeFile(`${file.path}.gz`, gzipSync(file.bytes, { level: 9 }));
  }
  return sizes(files);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildDashboard(process.argv[2]);
  const total = files.reduce((a, f) => ({ raw: a.raw + f.raw, brotli: a.brotli + f.brotli }), { raw: 0, brotli: 0 });
  process.stdout.write(`dashboard: ${files.map((f) => `${f.name} ${f.raw} B (${f.brotli} B br)`).join(', ')}; first page ${total.raw} B, ${total.brotli} B brotli\n`);
}
