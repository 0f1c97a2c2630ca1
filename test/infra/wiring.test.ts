import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildspec } from '../../infra/stack/buildspec.js';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { FUNCTION_WRAPPER, invokeModeOf } from '../../src/core/opennext-output.js';

/**
 * The parts a real account only shows broken when they disagree: the wrapper each function is
 * built with (anchor's open-next.config.ts) and the invoke mode of its Function URL; the CPU the
 * functions run on, the CPU the builds run on, and the CPU sharp is installed for.
 */
const platform = { artifactsBucket: 'a', assetsBucket: 'b', cacheBucket: 'c' };
const project = projectTemplate({ stage: 'dev', project: 'shop', platform });
const platformStack = platformTemplate({ stage: 'dev', handlerBucket: 'h', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'n', api: 'a' } });
const props = (id: string) => project.Resources[id]?.Properties as Record<string, unknown>;

interface AnchorConfig {
  default: { override: { wrapper: string } };
  imageOptimization: { override: { wrapper: string }; install: { arch: string } };
}

async function anchorConfig(env: Record<string, string> = {}): Promise<AnchorConfig> {
  vi.resetModules();
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  // Through a variable: the typecheck must not follow it into the template (its types are the app's).
  const file = new URL('../../templates/open-next.config.ts', import.meta.url).href;
  return ((await import(/* @vite-ignore */ file)) as { default: AnchorConfig }).default;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('template ↔ OpenNext config', () => {
  it('builds each function with the wrapper anchor expects, and gives its URL the invoke mode that wrapper answers in', async () => {
    const config = await anchorConfig();

    expect(config.default.override.wrapper).toBe(FUNCTION_WRAPPER.server);
    expect(config.imageOptimization.override.wrapper).toBe(FUNCTION_WRAPPER.image);
    expect(props('ServerUrl')['InvokeMode']).toBe(invokeModeOf(config.default.override.wrapper));
    expect(props('ImageUrl')['InvokeMode']).toBe(invokeModeOf(config.imageOptimization.override.wrapper));
    // The placeholder each URL serves before the first deploy answers in the same mode.
    for (const id of ['ServerFunction', 'ImageFunction']) expect(String((props(id)['Code'] as { ZipFile: string }).ZipFile)).toContain('streamifyResponse');
  });

  it('runs the functions, the builds and sharp on one CPU', async () => {
    const [functionArch] = props('ServerFunction')['Architectures'] as string[];
    expect(props('ImageFunction')['Architectures']).toEqual([functionArch]);
    const nodeArch = functionArch === 'x86_64' ? 'x64' : 'arm64';

    const build = platformStack.Resources['BuildProject']?.Properties as { Environment: { Type: string; Image: string }; Source: { BuildSpec: string } };
    expect(build.Environment.Type).toBe(nodeArch === 'arm64' ? 'ARM_CONTAINER' : 'LINUX_CONTAINER');
    const spec = JSON.parse(build.Source.BuildSpec) as { env: { variables: Record<string, string> } };
    expect(spec.env.variables['ANCHOR_IMAGE_ARCH']).toBe(nodeArch);
    // The config installs sharp for the CPU the buildspec names, whatever machine runs the build.
    expect((await anchorConfig({ ANCHOR_IMAGE_ARCH: nodeArch })).imageOptimization.install.arch).toBe(nodeArch);
    expect(JSON.parse(buildspec({ nodeVersion: 22, functionArch: 'x64', defaultOpenNextConfig: '' })).env.variables['ANCHOR_IMAGE_ARCH']).toBe('x64');
  });
});
