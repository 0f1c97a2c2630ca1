// The platform's Lambda handler bundles (esbuild → zip), as `anchor init --aws` uploads them, built from dist/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { line, now } from './measure.mjs';

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

export async function benchHandlerBundles() {
  const { bundleHandlers } = await import('../dist/infra/bundle-handlers.js');
  const out = mkdtempSync(join(tmpdir(), 'anchor-bench-bundles-'));
  try {
    const started = now();
    const bundles = await bundleHandlers(out);
    const ms = now() - started;
    process.stdout.write(`\nHandler bundles (esbuild, minified, AWS SDK included; Lambda allows 50 MiB zipped)\n`);
    for (const b of bundles) line(`${b.name}.zip`, kb(b.bytes), `index.mjs ${kb(b.codeBytes)}  sha256 ${b.sha256.slice(0, 12)}`);
    line('bundling all three', `${ms.toFixed(0)} ms`);
    return { ms, bundles: bundles.map((b) => ({ name: b.name, zipBytes: b.bytes, codeBytes: b.codeBytes, sha256: b.sha256 })) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
