import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { platformTemplate } from '../../infra/stack/platform-template.js';

const template = platformTemplate({ stage: 'dev', handlerBucket: 'h', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'n', api: 'a' } });

describe('a push the webhook function never sees (issue #11 item 13)', () => {
  it('leaves a line in the webhook API’s access log naming the project path, the status and Lambda’s refusal', () => {
    const stage = template.Resources['WebhookStage']?.Properties as { AccessLogSettings?: { DestinationArn: unknown; Format: string } };
    expect(stage.AccessLogSettings?.DestinationArn).toEqual({ 'Fn::GetAtt': ['WebhookAccessLogGroup', 'Arn'] });
    expect(template.Resources['WebhookAccessLogGroup']?.Properties).toMatchObject({ LogGroupName: '/anchor/dev/webhook-access' });
    // API Gateway answers an over-6 MB invoke itself; these variables are what then names it.
    const format = JSON.parse(stage.AccessLogSettings?.Format ?? '{}') as Record<string, string>;
    expect(Object.values(format)).toEqual(expect.arrayContaining(['$context.path', '$context.status', '$context.integrationErrorMessage', '$context.dataProcessed', '$context.requestId']));
  });

  it('README tells the operator that anchor deploy recovers it', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/6 MB[\s\S]{0,400}webhook-access[\s\S]{0,300}anchor deploy/);
  });
});
