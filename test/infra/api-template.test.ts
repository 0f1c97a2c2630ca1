import { describe, expect, it } from 'vitest';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import { readHandlerEnv } from '../../infra/handlers/env.js';
import { HANDLER_ENV } from '../../infra/stack/platform-pipeline.js';

const template = platformTemplate({ stage: 'dev', handlerBucket: 'h', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'n', api: 'a' } });
const props = (id: string) => template.Resources[id]?.Properties as Record<string, unknown>;

describe('the platform API on the platform stack', () => {
  it('routes /api/* of the existing HTTP API to one Lambda (payload 2.0): no new API, nothing billed by the hour', () => {
    expect(props('ApiRoute')).toMatchObject({ ApiId: { Ref: 'WebhookApi' }, RouteKey: 'ANY /api/{proxy+}' });
    expect(props('ApiIntegration')).toMatchObject({ ApiId: { Ref: 'WebhookApi' }, IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(JSON.stringify(props('ApiInvokePermission')['SourceArn'])).toContain('/*/*/api/*');
  });

  it('lets the API invoke the deploy function (for rollbacks) and no other function', () => {
    const statements = (props('ApiRole')['Policies'] as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }>).flatMap((p) => p.PolicyDocument.Statement);
    const lambda = statements.filter((s) => s.Action.some((a) => a.startsWith('lambda:')));
    expect(lambda).toEqual([expect.objectContaining({ Action: ['lambda:InvokeFunction'], Resource: [{ 'Fn::GetAtt': ['DeployFunction', 'Arn'] }] })]);
  });

  it('keeps owners, tokens and sessions in an on-demand table whose sessions and codes expire by TTL', () => {
    expect(props('AccessTable')).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
    expect(template.Outputs?.['AccessTableName']?.Value).toEqual({ Ref: 'AccessTable' });
  });

  it('tells every handler where the access table is, and the API where its webhook API is', () => {
    const env = (props('ApiFunction')['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['ANCHOR_ACCESS_TABLE']).toEqual({ Ref: 'AccessTable' });
    expect(env['ANCHOR_WEBHOOK_API_URL']).toEqual({ 'Fn::GetAtt': ['WebhookApi', 'ApiEndpoint'] });
    const source = Object.fromEntries(Object.keys(HANDLER_ENV).map((k) => [k, `v-${k}`]));
    const read = readHandlerEnv({ AWS_REGION: 'ap-southeast-1', ...source, ANCHOR_WEBHOOK_API_URL: 'https://x.execute-api.ap-southeast-1.amazonaws.com' });
    expect(read.outputs).toMatchObject({ AccessTableName: 'v-ANCHOR_ACCESS_TABLE', WebhookApiUrl: 'https://x.execute-api.ap-southeast-1.amazonaws.com' });
  });

  it('serves the dashboard from the same function on the same origin: GET / and GET /{proxy+}, reading only dashboard/ of the bootstrap bucket', () => {
    const withDashboard = platformTemplate({ stage: 'dev', handlerBucket: 'anchor-bootstrap-1-ap-southeast-1', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'n', api: 'a' }, dashboardPrefix: 'dashboard/abc/' });
    const p = (id: string) => withDashboard.Resources[id]?.Properties as Record<string, unknown>;
    const routes = Object.values(withDashboard.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').map((r) => [(r.Properties as { RouteKey: string }).RouteKey, JSON.stringify((r.Properties as { Target: unknown }).Target)]);
    expect(routes).toEqual(expect.arrayContaining([['GET /', JSON.stringify({ 'Fn::Sub': 'integrations/${ApiIntegration}' })], ['GET /{proxy+}', JSON.stringify({ 'Fn::Sub': 'integrations/${ApiIntegration}' })], ['POST /webhook/{projectId}', expect.any(String)]]));
    expect(JSON.stringify(p('DashboardInvokePermission')['SourceArn'])).toContain('/*/GET/*');
    const env = (p('ApiFunction')['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect([env['ANCHOR_DASHBOARD_BUCKET'], env['ANCHOR_DASHBOARD_PREFIX']]).toEqual(['anchor-bootstrap-1-ap-southeast-1', 'dashboard/abc/']);
    const statements = (p('ApiRole')['Policies'] as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown[] }> } }>).flatMap((x) => x.PolicyDocument.Statement);
    const s3 = statements.filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([expect.objectContaining({ Action: ['s3:GetObject'], Resource: [{ 'Fn::Join': ['', [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::' }, 'anchor-bootstrap-1-ap-southeast-1', '/dashboard/*']] }] })]);
    const read = readHandlerEnv({ AWS_REGION: 'ap-southeast-1', ...Object.fromEntries(Object.keys(HANDLER_ENV).map((k) => [k, `v-${k}`])), ANCHOR_DASHBOARD_BUCKET: 'b', ANCHOR_DASHBOARD_PREFIX: 'dashboard/abc/' });
    expect(read.dashboard).toEqual({ bucket: 'b', prefix: 'dashboard/abc/' });
    // Without an uploaded build the variable is empty and the function says so on its page.
    expect(readHandlerEnv({ AWS_REGION: 'ap-southeast-1', ...Object.fromEntries(Object.keys(HANDLER_ENV).map((k) => [k, `v-${k}`])), ANCHOR_DASHBOARD_BUCKET: 'b', ANCHOR_DASHBOARD_PREFIX: '' }).dashboard).toBeNull();
  });
});
