import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleHandlers } from '../../infra/bundle-handlers.js';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A trivial handler that, like the real ones, imports the core through a relative module and a Node built-in. */
function writeEntry(dir: string): void {
  const errors = resolve('src/core/errors.ts').replace(/\.ts$/, '.js');
  writeFileSync(join(dir, 'greeting.ts'), "export const greet = (path: string): string => `hello from ${path}`;\n");
  writeFileSync(
    join(dir, 'webhook.ts'),
    [
      "import { createHash } from 'node:crypto';",
      "import { greet } from './greeting.js';",
      `import { AnchorError } from ${JSON.stringify(errors)};`,
      'export async function handler(event: { rawPath: string }) {',
      "  const error = new AnchorError({ code: 'X', kind: 'usage', message: 'm' });",
      "  return { statusCode: 200, body: greet(event.rawPath), code: error.code, sha: createHash('sha256').update('a').digest('hex').slice(0, 8) };",
      '}',
    ].join('\n'),
  );
}

describe('bundleHandlers', () => {
  it('bundles an entry into a zip that unzips to an index.mjs whose handler runs', async () => {
    const entryDir = tempDir('anchor-entry-');
    writeEntry(entryDir);
    const out = tempDir('anchor-bundles-');
    const [bundle] = await bundleHandlers(out, { entryDir, names: ['webhook'] });
    expect(bundle).toMatchObject({ name: 'webhook', zipPath: join(out, 'webhook.zip') });
    expect(bundle!.bytes).toBe(statSync(bundle!.zipPath).size);
    expect(bundle!.sha256).toMatch(/^[0-9a-f]{64}$/);

    // The system's unzip reads what Lambda will read.
    const unzipped = tempDir('anchor-unzipped-');
    execFileSync('unzip', ['-q', bundle!.zipPath, '-d', unzipped]);
    expect(execFileSync('unzip', ['-Z1', bundle!.zipPath], { encoding: 'utf8' }).trim().split('\n')).toEqual(['index.mjs', 'index.mjs.map']);
    expect(statSync(join(unzipped, 'index.mjs')).mode & 0o444).toBe(0o444);

    const script = `const m = await import(${JSON.stringify(join(unzipped, 'index.mjs'))}); process.stdout.write(JSON.stringify(await m.handler({ rawPath: '/webhook/p_1' })));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: unzipped });
    expect(JSON.parse(output)).toEqual({ statusCode: 200, body: 'hello from /webhook/p_1', code: 'X', sha: 'ca978112' });
  });

  it('gives the same bytes for the same sources, so the S3 key only changes with the code', async () => {
    const entryDir = tempDir('anchor-entry-');
    writeEntry(entryDir);
    const [first] = await bundleHandlers(tempDir('anchor-bundles-'), { entryDir, names: ['webhook'] });
    const [second] = await bundleHandlers(tempDir('anchor-bundles-'), { entryDir, names: ['webhook'] });
    expect(second!.sha256).toBe(first!.sha256);
    writeFileSync(join(entryDir, 'greeting.ts'), "export const greet = (path: string): string => `hi from ${path}`;\n");
    const [third] = await bundleHandlers(tempDir('anchor-bundles-'), { entryDir, names: ['webhook'] });
    expect(third!.sha256).not.toBe(first!.sha256);
  });

  it('fails with esbuild’s message when an entry is missing', async () => {
    await expect(bundleHandlers(tempDir('anchor-bundles-'), { entryDir: tempDir('anchor-entry-'), names: ['deploy'] })).rejects.toThrow(/deploy\.ts/);
  });
});
