import { describe, expect, it } from 'vitest';
import type { CfnValue, PolicyStatement } from '../../infra/stack/cfn.js';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import { assertStage } from '../../src/adapters/aws/resource-names.js';
import { AnchorError } from '../../src/core/errors.js';

const handlerKeys = { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'n', api: 'a' };
const ACCOUNT = '111122223333';
const REGION = 'ap-southeast-1';

/** Every IAM resource pattern of the platform's roles that names anchor resources, as the ARN regex IAM matches. */
function anchorPatterns(stage: string): RegExp[] {
  const template = platformTemplate({ stage, handlerBucket: 'h', handlerKeys });
  const statements = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Role')
    .flatMap((r) => ((r.Properties?.['Policies'] ?? []) as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((p) => p.PolicyDocument.Statement));
  const texts = statements.flatMap((s) => ([s.Resource].flat() as CfnValue[]).map((r) => (typeof r === 'string' ? r : ((r as { 'Fn::Sub'?: string })['Fn::Sub'] ?? ''))));
  return [...new Set(texts.filter((t) => t.includes(`anchor-${stage}`) || t.includes(`/anchor/${stage}/`)))].map(
    (t) => new RegExp(`^${t.replace('${AWS::Partition}', 'aws').replace('${AWS::Region}', REGION).replace('${AWS::AccountId}', ACCOUNT).replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`),
  );
}

/** The ARNs a stage's resources have (names.ts), for a project `shop`. */
function resourcesOf(stage: string): string[] {
  return [
    `arn:aws:lambda:${REGION}:${ACCOUNT}:function:anchor-${stage}-shop-server`,
    `arn:aws:lambda:${REGION}:${ACCOUNT}:function:anchor-${stage}-shop-image:3`,
    `arn:aws:iam::${ACCOUNT}:role/anchor-${stage}-shop-build`,
    `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/anchor-${stage}-project-shop/0a1b2c3d`,
    `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anchor/${stage}/shop/env/API_KEY`,
    `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anchor/${stage}/secrets/0b9e3c2a-1d4f-4a5b-8c6d-7e8f9a0b1c2d`,
  ];
}

describe('IAM patterns per stage (issue #11 item 13)', () => {
  it('stage prod’s patterns match its own resources and none of stage prod2’s', () => {
    const prod = anchorPatterns('prod');
    expect(prod.length).toBeGreaterThan(4);
    for (const arn of resourcesOf('prod')) expect(prod.some((p) => p.test(arn)), arn).toBe(true);
    for (const arn of resourcesOf('prod2')) expect(prod.filter((p) => p.test(arn)).map(String), arn).toEqual([]);
  });

  it('refuses a stage with a hyphen, whose patterns would match another stage’s (prod vs prod-eu), saying what to use', () => {
    expect(() => assertStage('prod-eu')).toThrow(AnchorError);
    try {
      assertStage('prod-eu');
    } catch (error) {
      expect((error as AnchorError).hint).toContain('no hyphen');
    }
    expect(() => assertStage('prodeu')).not.toThrow();
    // Why: prod's own patterns would match what a stage "prod-eu" names its resources.
    const prod = anchorPatterns('prod');
    expect(resourcesOf('prod-eu').filter((arn) => prod.some((p) => p.test(arn))).length).toBeGreaterThan(0);
  });
});
