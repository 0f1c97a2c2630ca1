import { describe, expect, it } from 'vitest';
import { AnchorError } from '../../../src/core/errors.js';
import { setEnv } from '../../../src/core/use-cases/env.js';
import { rejectionOf } from '../../contract/samples.js';
import { deploy, memoryPlatform, sha, type MemoryPlatform } from './memory-platform.js';

async function set(p: MemoryPlatform, key: string, value: string, options: { secret?: boolean; targets?: Array<'build' | 'runtime'> } = {}): Promise<void> {
  await setEnv(p.ports, { project: 'shop', key, value, secret: options.secret ?? false, targets: options.targets ?? ['build', 'runtime'] });
}

describe('env vars reaching builds and functions, on the fakes', () => {
  it('a build gets the build variables, secrets opened; the functions get the runtime ones; each only its own', async () => {
    const p = await memoryPlatform();
    await set(p, 'SHARED', 'both');
    await set(p, 'NEXT_PUBLIC_API', 'https://api.example.com', { targets: ['build'] });
    await set(p, 'BUILD_TOKEN', 'npm-tok-123', { secret: true, targets: ['build'] });
    await set(p, 'DATABASE_URL', 'postgres://shop:pw@db/shop', { secret: true, targets: ['runtime'] });

    const d = await deploy(p, sha('one'));

    expect(p.ports.builder.of(d.id)[0]?.request.env).toEqual({ SHARED: 'both', NEXT_PUBLIC_API: 'https://api.example.com', BUILD_TOKEN: 'npm-tok-123' });
    expect(p.ports.functions.envOf(d.id)).toEqual({ SHARED: 'both', DATABASE_URL: 'postgres://shop:pw@db/shop' });
  });

  it('masks every secret in the build log, wherever the build prints it', async () => {
    const p = await memoryPlatform();
    await set(p, 'BUILD_TOKEN', 'npm-tok-123', { secret: true, targets: ['build'] });
    await set(p, 'PEM', 'line-one\nline-two', { secret: true, targets: ['build'] });
    await set(p, 'PLAIN', 'visible-value', { targets: ['build'] });

    const d = await deploy(p, sha('one'), (build) => {
      build.print('fetching with npm-tok-123 from the registry', '-----BEGIN line-one', 'line-two END-----', 'plain: visible-value');
      build.succeed();
    });

    const log = p.ports.logs.texts(d.id);
    expect(log).toEqual(expect.arrayContaining(['fetching with *** from the registry', '-----BEGIN ***', '*** END-----', 'plain: visible-value']));
    expect(log.join('\n')).not.toMatch(/npm-tok-123|line-one|line-two/);
  });

  it('a deployment keeps the runtime env it went live with, secrets still sealed; a later change reaches the next deployment only', async () => {
    const p = await memoryPlatform();
    await set(p, 'GREETING', 'hello', { targets: ['runtime'] });
    await set(p, 'API_KEY', 'key-one', { secret: true, targets: ['runtime'] });
    const first = await deploy(p, sha('one'));

    await set(p, 'GREETING', 'bonjour', { targets: ['runtime'] });
    const second = await deploy(p, sha('two'));

    expect(first.runtimeEnv?.['GREETING']).toEqual({ value: 'hello', secret: false });
    expect(first.runtimeEnv?.['API_KEY']?.secret).toBe(true);
    expect(JSON.stringify(first.runtimeEnv)).not.toContain('key-one');
    expect(p.ports.functions.envOf(first.id)).toEqual({ GREETING: 'hello', API_KEY: 'key-one' });
    expect(p.ports.functions.envOf(second.id)).toEqual({ GREETING: 'bonjour', API_KEY: 'key-one' });
  });

  it('refuses a runtime env over Lambda\'s 4 KB, keeping what was set', async () => {
    const p = await memoryPlatform();
    await set(p, 'BIG', 'x'.repeat(3000), { targets: ['runtime'] });

    const error = await rejectionOf(set(p, 'BIGGER', 'y'.repeat(2000), { targets: ['runtime'] }));

    expect(error).toBeInstanceOf(AnchorError);
    expect((error as AnchorError).code).toBe('ENV_RUNTIME_TOO_LARGE');
    expect((await p.ports.envVars.list(p.project.id)).map((v) => v.key)).toEqual(['BIG']);
    // Build-only values do not count against the functions' budget.
    await set(p, 'BIGGER', 'y'.repeat(2000), { targets: ['build'] });
  });
});
