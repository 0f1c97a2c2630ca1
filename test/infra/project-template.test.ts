import { afterAll, describe, expect, it } from 'vitest';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { behavioursFromManifest } from '../../infra/stack/project-behaviours.js';
import { edgeFunctionCode, placeholderCode } from '../../infra/stack/project-code.js';
import { TemplateValidator, describeDiagnostics } from '../../infra/stack/validate-template.js';
import type { CfnValue, PolicyStatement, Resource, Template } from '../../infra/stack/cfn.js';
import { AnchorError } from '../../src/core/errors.js';

const platform = { artifactsBucket: 'anchor-dev-artifactsbucket-1a2b3c', assetsBucket: 'anchor-dev-assetsbucket-4d5e6f', cacheBucket: 'anchor-dev-cachebucket-7a8b9c' };
const template = projectTemplate({ stage: 'dev', project: 'shop', platform });

/** The behaviours part of what OpenNext 4.1 writes to .open-next/open-next.output.json, in its own order. */
const manifest = {
  behaviors: [
    { pattern: '_next/image*', origin: 'imageOptimizer' },
    { pattern: '*', origin: 'default' },
    { pattern: '_next/data/*', origin: 'default' },
    { pattern: 'api/*', origin: 'default' },
    { pattern: '_next/*', origin: 's3' },
    { pattern: 'BUILD_ID', origin: 's3' },
    { pattern: 'favicon.ico', origin: 's3' },
    { pattern: 'images/*', origin: 's3' },
  ],
};

const validator = new TemplateValidator();
afterAll(() => validator.free());

const ofType = (t: Template, type: string): [string, Resource][] => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const props = (t: Template, id: string): Record<string, CfnValue> => t.Resources[id]?.Properties ?? {};
const distribution = (t: Template) => (props(t, 'Distribution')['DistributionConfig'] as Record<string, CfnValue>);

type EdgeEvent = { request: { uri: string; headers: Record<string, { value: string }> } };
type EdgeResult = EdgeEvent['request'] | { statusCode: number };

/** Runs the CloudFront Function's code in Node with a stand-in for its `cloudfront` module. */
function loadEdgeFunction(kvsId: string, store: Record<string, string>) {
  const { before, after } = edgeFunctionCode('shop', behavioursFromManifest(manifest));
  const source = (before + kvsId + after).replace("import cf from 'cloudfront';", '');
  const opened: string[] = [];
  const cf = {
    kvs: (id: string) => {
      opened.push(id);
      return { get: async (key: string) => (key in store ? store[key] : Promise.reject(new Error('The key was not found'))) };
    },
  };
  const handler = new Function('cf', `${source}\nreturn handler;`)(cf) as (event: EdgeEvent) => Promise<EdgeResult>;
  return { handler, opened };
}

describe('project template', () => {
  it('passes AWS’s offline validator with no errors and no warnings, with default and manifest behaviours', () => {
    const variants = [template, projectTemplate({ stage: 'prod', project: 'my-site', platform, architecture: 'x86_64', serverMemory: 2048, behaviours: behavioursFromManifest(manifest), logRetentionDays: 90 })];
    for (const variant of variants) {
      const report = validator.validate(variant, { name: 'project.json' });
      expect(report.errors, describeDiagnostics(report.errors)).toEqual([]);
      expect(report.warnings, describeDiagnostics(report.warnings)).toEqual([]);
    }
  }, 180_000);

  it('puts the Function URLs behind the origin secret: AuthType NONE (a POST body needs no signature), the server streaming', () => {
    const urls = ofType(template, 'AWS::Lambda::Url');
    expect(urls).toHaveLength(2);
    for (const [id, url] of urls) {
      expect(url.Properties?.['AuthType'], id).toBe('NONE');
      expect(url.Properties?.['Qualifier'], id).toBe('live');
    }
    expect(props(template, 'ServerUrl')['InvokeMode']).toBe('RESPONSE_STREAM');
    // Public permissions for the URL only (both statements, as URLs created since Oct 2025 need), never a bare Invoke.
    const permissions = ofType(template, 'AWS::Lambda::Permission');
    expect(permissions.map(([, p]) => p.Properties?.['Action']).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunction', 'lambda:InvokeFunctionUrl', 'lambda:InvokeFunctionUrl']);
    for (const [id, permission] of permissions) {
      const p = permission.Properties ?? {};
      if (p['Action'] === 'lambda:InvokeFunctionUrl') expect(p['FunctionUrlAuthType'], id).toBe('NONE');
      else expect(p['InvokedViaFunctionUrl'], id).toBe(true);
    }
  });

  it('sends the origin secret to both function origins as a custom header, with no origin access control signing them', () => {
    expect(template.Parameters?.['OriginSecret']).toMatchObject({ NoEcho: true, AllowedPattern: '^[0-9a-f]{32}$' });
    const origins = distribution(template)['Origins'] as Record<string, CfnValue>[];
    for (const id of ['server', 'image']) {
      const origin = origins.find((o) => o['Id'] === id) ?? {};
      expect(origin['OriginCustomHeaders'], id).toEqual([{ HeaderName: 'x-anchor-origin-secret', HeaderValue: { Ref: 'OriginSecret' } }]);
      expect(origin['OriginAccessControlId'], id).toBeUndefined();
    }
    // The only origin access control left is the bucket's (SigningBehavior always is right for S3 GETs).
    const oacTypes = ofType(template, 'AWS::CloudFront::OriginAccessControl').map(([, r]) => (r.Properties?.['OriginAccessControlConfig'] as Record<string, string>)['OriginAccessControlOriginType']);
    expect(oacTypes).toEqual(['s3']);
    expect(origins.find((o) => o['Id'] === 'assets')?.['OriginAccessControlId']).toBeDefined();
    // The viewer's Authorization reaches the server: in the server cache key (an origin request policy may not carry it).
    const serverKey = props(template, 'ServerCachePolicy')['CachePolicyConfig'] as { ParametersInCacheKeyAndForwardedToOrigin: { HeadersConfig: { Headers: string[] } } };
    expect(serverKey.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers).toContain('authorization');
    expect(serverKey.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers.length).toBeLessThanOrEqual(10);
  });

  it('runs nodejs22.x with 1024 MB for the server by default, on arm64 unless told otherwise', () => {
    for (const [id, fn] of ofType(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties?.['Runtime'], id).toBe('nodejs22.x');
      expect(fn.Properties?.['Architectures'], id).toEqual(['arm64']);
    }
    expect(props(template, 'ServerFunction')['MemorySize']).toBeGreaterThanOrEqual(1024);
    const x86 = projectTemplate({ stage: 'dev', project: 'shop', platform, architecture: 'x86_64', serverMemory: 3008 });
    expect(props(x86, 'ServerFunction')['Architectures']).toEqual(['x86_64']);
    expect(props(x86, 'ServerFunction')['MemorySize']).toBe(3008);
    expect(() => projectTemplate({ stage: 'dev', project: 'shop', platform, serverMemory: 512 })).toThrow(/1024/);
  });

  it('points alias live at the placeholder version, or at the version a stack update passes in', () => {
    expect(props(template, 'ServerAlias')).toMatchObject({ Name: 'live', FunctionVersion: { 'Fn::If': ['HasServerLiveVersion', { Ref: 'ServerLiveVersion' }, { 'Fn::GetAtt': ['ServerPlaceholderVersion', 'Version'] }] } });
    expect(template.Parameters?.['ServerLiveVersion']?.Default).toBe('');
    expect(template.Resources['ServerPlaceholderVersion']?.Type).toBe('AWS::Lambda::Version');
  });

  it('serves a page saying the site has no deployment yet until the first deploy', async () => {
    // Streaming variant, run against a stand-in for the Lambda runtime's `awslambda` global.
    let prelude: unknown = null;
    let body = '';
    const awslambda = {
      streamifyResponse: (fn: unknown) => fn,
      HttpResponseStream: { from: (stream: unknown, meta: unknown) => ((prelude = meta), stream) },
    };
    const exports: { handler?: (event: unknown, stream: unknown) => Promise<void> } = {};
    new Function('exports', 'awslambda', placeholderCode('shop', 'stream'))(exports, awslambda);
    await exports.handler!({}, { write: (chunk: string) => (body += chunk), end: () => undefined });
    expect(prelude).toMatchObject({ statusCode: 503, headers: { 'cache-control': 'no-store' } });
    expect(body).toContain('shop has no deployment yet');
    expect(body).toContain('anchor deploy shop');

    const buffered: { handler?: () => Promise<{ statusCode: number; body: string }> } = {};
    new Function('exports', placeholderCode('shop', 'buffered'))(buffered);
    const response = await buffered.handler!();
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('shop has no deployment yet');
    expect(props(template, 'ServerFunction')['Code']).toEqual({ ZipFile: placeholderCode('shop', 'stream') });
  });

  it('routes _next/image to the image function, assets to S3 and everything else to the server', () => {
    const config = distribution(template);
    expect((config['DefaultCacheBehavior'] as Record<string, CfnValue>)['TargetOriginId']).toBe('server');
    const behaviours = (config['CacheBehaviors'] as Record<string, CfnValue>[]).map((b) => [b['PathPattern'], b['TargetOriginId']]);
    expect(behaviours).toContainEqual(['_next/image*', 'image']);
    expect(behaviours).toContainEqual(['_next/*', 'assets']);
    // CloudFront takes the first match, so the image pattern must come before `_next/*`.
    expect(behaviours.findIndex(([p]) => p === '_next/image*')).toBeLessThan(behaviours.findIndex(([p]) => p === '_next/*'));
    expect(behavioursFromManifest(manifest).map((b) => b.pattern)).toEqual(['favicon.ico', 'BUILD_ID', '_next/data/*', '_next/image*', 'images/*', '_next/*', 'api/*']);
  });

  it('runs one viewer-request CloudFront Function with the KeyValueStore on every behaviour', () => {
    const fn = props(template, 'EdgeFunction');
    expect(fn['FunctionConfig']).toMatchObject({ Runtime: 'cloudfront-js-2.0', KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': ['LiveAssetStore', 'Arn'] } }] });
    const config = distribution(template);
    for (const behaviour of [config['DefaultCacheBehavior'], ...(config['CacheBehaviors'] as CfnValue[])] as Record<string, CfnValue>[]) {
      expect(behaviour['FunctionAssociations']).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': ['EdgeFunction', 'FunctionARN'] } }]);
    }
  });

  it('rewrites asset requests to the live prefix and sets x-forwarded-host on the rest (the function’s code, run)', async () => {
    const { handler, opened } = loadEdgeFunction('kvs-1234', { shop: 'shop/d_01HXYZ' });
    const asset = await handler({ request: { uri: '/_next/static/chunks/app.js', headers: { host: { value: 'd111.cloudfront.net' } } } });
    expect(asset).toMatchObject({ uri: '/shop/d_01HXYZ/_next/static/chunks/app.js' });
    expect(opened).toEqual(['kvs-1234']);
    const publicFile = await handler({ request: { uri: '/favicon.ico', headers: {} } });
    expect(publicFile).toMatchObject({ uri: '/shop/d_01HXYZ/favicon.ico' });
    const page = await handler({ request: { uri: '/products/42', headers: { host: { value: 'shop.example.com' } } } });
    expect(page).toMatchObject({ uri: '/products/42', headers: { 'x-forwarded-host': { value: 'shop.example.com' } } });
    const image = await handler({ request: { uri: '/_next/image', headers: { host: { value: 'shop.example.com' } } } });
    expect(image).toMatchObject({ uri: '/_next/image', headers: { 'x-forwarded-host': { value: 'shop.example.com' } } });

    const empty = loadEdgeFunction('kvs-1234', {});
    expect(await empty.handler({ request: { uri: '/_next/static/x.js', headers: {} } })).toMatchObject({ statusCode: 404 });
  });

  it('gives this project’s builds only its own artifact prefix and secrets, and no Lambda action', () => {
    const statements = (props(template, 'BuildRole')['Policies'] as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.filter((a) => a === '*' || a.startsWith('lambda:') || a.includes('*'))).toEqual([]);
    const text = JSON.stringify(statements);
    expect(text).toContain(`s3:::${platform.artifactsBucket}/builds/shop/*`);
    expect(text).toContain('parameter/anchor/dev/shop/env/*');
  });

  it('lets this project\'s builds read its own GitHub token parameter and no other project\'s', () => {
    const statements = (props(template, 'BuildRole')['Policies'] as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    const token = statements.find((s) => JSON.stringify(s.Resource).includes('github-token'));
    expect(token?.Action).toEqual(['ssm:GetParameters']);
    expect(JSON.stringify(token?.Resource)).toContain(':parameter/anchor/dev/shop/github-token"');
    expect(JSON.stringify(statements)).not.toMatch(/\*\/github-token/);
  });

  it('keeps logs for a limited time', () => {
    const groups = ofType(template, 'AWS::Logs::LogGroup');
    // One per function: server, image and the ISR revalidation consumer.
    expect(groups).toHaveLength(ofType(template, 'AWS::Lambda::Function').length);
    expect(groups).toHaveLength(3);
    for (const [id, group] of groups) expect(group.Properties?.['RetentionInDays'], id).toBe(30);
  });

  it('refuses a project name too long for AWS names, saying how long it may be', () => {
    const attempt = () => projectTemplate({ stage: 'dev', project: 'a'.repeat(60), platform });
    expect(attempt).toThrow(AnchorError);
    expect(attempt).toThrow(/is too long for the aws backend/);
    const error = (() => { try { attempt(); } catch (e) { return e as AnchorError; } return null; })();
    expect(error?.hint).toContain('at most 40 characters');
    // The longest name that fits is accepted.
    expect(() => projectTemplate({ stage: 'dev', project: 'a'.repeat(40), platform })).not.toThrow();
  });
});
