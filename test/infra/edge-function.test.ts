import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sortBehaviours, type Behaviour, type Origin } from '../../infra/stack/project-behaviours.js';
import { edgeFunctionCode } from '../../infra/stack/project-code.js';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { OpenNextRoutes } from '../../src/adapters/local/runtime/opennext-manifest.js';
import { liveAssetValue } from '../../src/adapters/aws/resource-names.js';
import { behavioursOf, bundleReport, type OpenNextManifest } from '../../src/core/opennext-output.js';

/**
 * The CloudFront Function's own code, run in Node the way cloudfront-js-2.0 runs it (an ES
 * module importing `cloudfront`, whose KeyValueStore `get` rejects a missing key and whose
 * `selectRequestOriginById` picks the origin), against the sample app's real OpenNext output
 * (test/fixtures/sample-app-output: templates/sample-app built by OpenNext 4.1.16) and a
 * snapshot of the project's KeyValueStore.
 */
const fixture = new URL('../fixtures/sample-app-output/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('open-next.output.json', fixture), 'utf8')) as OpenNextManifest;
const assetFiles = readFileSync(new URL('assets.txt', fixture), 'utf8').trim().split('\n');
const publicNames = bundleReport(assetFiles.map((name) => ({ name, size: 1 })), manifest).publicNames;

interface EdgeResult {
  /** The origin CloudFront sends the request to: the behaviour's, unless the function selected another. */
  origin: Origin;
  uri: string;
  headers: Record<string, string>;
  statusCode?: number;
}

/** The function as the project stack deploys it, with `behaviours` as the distribution's cache behaviours. */
function edge(behaviours: readonly Behaviour[], kvs: Record<string, string>) {
  const { before, after } = edgeFunctionCode('shop', behaviours);
  const code = `${before}KVS_ID${after}`.replace("import cf from 'cloudfront';", '');
  const sorted = sortBehaviours(behaviours);
  return async (uri: string): Promise<EdgeResult> => {
    let selected: Origin | null = null;
    const cf = {
      kvs: (id: string) => {
        expect(id).toBe('KVS_ID');
        return { get: async (key: string) => (key in kvs ? kvs[key] : Promise.reject(new Error(`The key ${key} does not exist.`))) };
      },
      selectRequestOriginById: (id: Origin) => {
        selected = id;
      },
    };
    const handler = new Function('cf', `${code}\nreturn handler;`)(cf) as (event: unknown) => Promise<{ uri?: string; statusCode?: number; headers?: Record<string, { value: string }> }>;
    // CloudFront picks the behaviour (and so the origin) by path before the function runs.
    const behaviour = sorted.find((b) => new RegExp(`^/${b.pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(uri))?.origin ?? 'server';
    const result = await handler({ version: '1.0', request: { method: 'GET', uri, querystring: {}, headers: { host: { value: 'shop.example.com' } }, cookies: {} } });
    return {
      origin: selected ?? behaviour,
      uri: result.uri ?? uri,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, v.value])),
      ...(result.statusCode ? { statusCode: result.statusCode } : {}),
    };
  };
}

const live = (deploymentId: string, names = publicNames) => ({ shop: liveAssetValue('shop', deploymentId, names) });

describe('the CloudFront Function on the sample app', () => {
  // The cache behaviours of the distribution `projects add` deploys (no manifest is known before the first build).
  const distribution = projectTemplate({ stage: 'dev', project: 'shop', platform: { artifactsBucket: 'a', assetsBucket: 'b', cacheBucket: 'c' } }).Resources['Distribution']?.Properties as { DistributionConfig: { CacheBehaviors: { PathPattern: string; TargetOriginId: Origin }[] } };
  const deployed: Behaviour[] = distribution.DistributionConfig.CacheBehaviors.map((b) => ({ pattern: b.PathPattern, origin: b.TargetOriginId }));

  it('routes every public file of the live deployment to the assets bucket, under its prefix', async () => {
    const run = edge(deployed, live('d_2'));
    for (const file of assetFiles) {
      const path = `/${file.slice('assets/'.length)}`;
      expect(await run(path), path).toMatchObject({ origin: 'assets', uri: `/shop/d_2${path}` });
    }
  });

  it('routes a public name that only a later deployment has, with no change to the distribution', async () => {
    const run = edge(deployed, live('d_3', [...publicNames, 'robots.txt']));
    expect(await run('/robots.txt')).toMatchObject({ origin: 'assets', uri: '/shop/d_3/robots.txt' });
    // …and not for a deployment without it: the server answers (its 404 page).
    expect((await edge(deployed, live('d_2'))('/robots.txt')).origin).toBe('server');
  });

  it('puts the live deployment into the server cache key, so a flip is a fresh key', async () => {
    const before = await edge(deployed, live('d_2'))('/');
    const after = await edge(deployed, live('d_3'))('/');

    expect(before).toMatchObject({ origin: 'server', headers: { 'x-anchor-deployment': 'd_2', 'x-forwarded-host': 'shop.example.com' } });
    expect(after.headers['x-anchor-deployment']).toBe('d_3');
    const template = projectTemplate({ stage: 'dev', project: 'shop', platform: { artifactsBucket: 'a', assetsBucket: 'b', cacheBucket: 'c' } });
    for (const policy of ['ServerCachePolicy', 'ImageCachePolicy']) {
      const config = (template.Resources[policy]?.Properties as { CachePolicyConfig: { ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: { Headers: string[] } } } }).CachePolicyConfig;
      expect(config.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers).toContain('x-anchor-deployment');
    }
  });

  it('sends /_next/image to the image origin, keyed by deployment too', async () => {
    expect(await edge(deployed, live('d_2'))('/_next/image')).toMatchObject({ origin: 'image', uri: '/_next/image', headers: { 'x-anchor-deployment': 'd_2' } });
  });

  it('answers 404 for an asset while nothing is live, and reads a value written before public names were kept', async () => {
    expect((await edge(deployed, {})('/_next/static/chunks/a.js')).statusCode).toBe(404);
    expect(await edge(deployed, { shop: 'shop/d_1' })('/_next/static/chunks/a.js')).toMatchObject({ origin: 'assets', uri: '/shop/d_1/_next/static/chunks/a.js' });
  });

  it('routes a set of paths as the local edge does, from the same manifest', async () => {
    const local = OpenNextRoutes.from(manifest.behaviors);
    const cloudfront = edge(behavioursOf(manifest), live('d_2'));
    const paths = ['/', '/about', '/api/hello', '/_next/image', '/_next/image?url=x', '/_next/data/b/index.json', '/_next/static/chunks/a.js', '/BUILD_ID', '/anchor.png', '/anchor.png.bak', '/_nextx', '/favicon.ico'];
    for (const path of paths) {
      const uri = path.split('?')[0]!;
      expect((await cloudfront(uri)).origin, path).toBe(local.originFor(uri));
    }
  });
});
