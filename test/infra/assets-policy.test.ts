import { describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../infra/stack/cfn.js';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import { TemplateValidator, describeDiagnostics } from '../../infra/stack/validate-template.js';

const ACCOUNT = '111122223333';
const BUCKET = 'anchor-dev-assetsbucket-4d5e6f';
const readers = [
  { project: 'shop', distributionId: 'E1SHOP' },
  { project: 'blog', distributionId: 'E2BLOG' },
];
const template = platformTemplate({ stage: 'dev', handlerBucket: 'anchor-bootstrap-111122223333-ap-southeast-1', handlerKeys: { webhook: 'handlers/a/webhook.zip', orchestrator: 'handlers/a/orchestrator.zip', deploy: 'handlers/a/deploy.zip', domains: 'handlers/a/domains.zip', api: 'handlers/a/api.zip' }, assetReaders: readers });
const statements = (template.Resources['AssetsBucketPolicy']?.Properties as { PolicyDocument: { Statement: PolicyStatement[] } }).PolicyDocument.Statement;

/** The template's values as AWS resolves them for this account and bucket. */
function resolve(value: unknown): string {
  const text = typeof value === 'string' ? value : ((value as { 'Fn::Sub'?: string })['Fn::Sub'] ?? JSON.stringify(value));
  return text.replace('${AssetsBucket.Arn}', `arn:aws:s3:::${BUCKET}`).replace('${AWS::Partition}', 'aws').replace('${AWS::AccountId}', ACCOUNT);
}

/** Whether CloudFront, fetching `key` for the distribution `id` through OAC, may read it (Allow statements only; no Deny applies over HTTPS). */
function mayRead(id: string, key: string): boolean {
  const source = `arn:aws:cloudfront::${ACCOUNT}:distribution/${id}`;
  const object = `arn:aws:s3:::${BUCKET}/${key}`;
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || !s.Action.includes('s3:GetObject') || JSON.stringify(s.Principal) !== JSON.stringify({ Service: 'cloudfront.amazonaws.com' })) return false;
    const resources = [s.Resource].flat().map(resolve);
    const matches = resources.some((r) => new RegExp(`^${r.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(object));
    const condition = s.Condition?.['StringEquals']?.['AWS:SourceArn'];
    return matches && condition !== undefined && resolve(condition) === source;
  });
}

describe('the assets bucket policy (issue #11 item 13)', () => {
  it('lets each project’s distribution read its own prefix only', () => {
    expect(mayRead('E1SHOP', 'shop/d_1/_next/static/app.js')).toBe(true);
    expect(mayRead('E2BLOG', 'blog/d_7/favicon.ico')).toBe(true);
    expect(mayRead('E1SHOP', 'blog/d_7/favicon.ico')).toBe(false);
    expect(mayRead('E2BLOG', 'shop/d_1/_next/static/app.js')).toBe(false);
    // Another distribution of the account, and a project whose name starts like shop's.
    expect(mayRead('E9OTHER', 'shop/d_1/_next/static/app.js')).toBe(false);
    expect(mayRead('E1SHOP', 'shop-eu/d_1/app.js')).toBe(false);
  });

  it('grants nothing to every distribution of the account, and still refuses plain HTTP', () => {
    expect(JSON.stringify(statements)).not.toContain('distribution/*');
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('passes AWS’s offline validator with the per-project grants', () => {
    const validator = new TemplateValidator();
    try {
      const report = validator.validate(template, { name: 'platform.json' });
      expect(report.errors, describeDiagnostics(report.errors)).toEqual([]);
    } finally {
      validator.free();
    }
  }, 120_000);
});
