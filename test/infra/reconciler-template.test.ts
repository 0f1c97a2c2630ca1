import { describe, expect, it } from 'vitest';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import type { CfnValue, PolicyStatement, Resource } from '../../infra/stack/cfn.js';
import { RECONCILE_SCHEDULE } from '../../infra/stack/platform-pipeline.js';
import { BUILD_QUEUE_VISIBILITY_SECONDS } from '../../infra/stack/platform-storage.js';

const template = platformTemplate({
  stage: 'dev',
  handlerBucket: 'anchor-bootstrap-111122223333-ap-southeast-1',
  handlerKeys: { webhook: 'handlers/abc/webhook.zip', orchestrator: 'handlers/abc/orchestrator.zip', deploy: 'handlers/abc/deploy.zip', domains: 'handlers/abc/domains.zip', api: 'handlers/abc/api.zip' },
});
const props = (id: string): Record<string, CfnValue> => template.Resources[id]?.Properties ?? {};
const statements = (role: string): PolicyStatement[] => ((template.Resources[role] as Resource).Properties?.['Policies'] as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
const allows = (role: string, action: string, resource: CfnValue): boolean => statements(role).some((s) => s.Action.includes(action) && JSON.stringify(s.Resource).includes(JSON.stringify(resource)));

describe('stuck deployments in the platform template (issue #11 item 10)', () => {
  it('the deploy function, invoked asynchronously by EventBridge, sends an event it failed on for good to an SQS queue it may write and drain', () => {
    const config = props('DeployEventInvokeConfig');
    expect(config).toMatchObject({ FunctionName: { Ref: 'DeployFunction' }, Qualifier: '$LATEST', DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeployFailureQueue', 'Arn'] } } } });
    for (const action of ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']) expect(allows('DeployRole', action, { 'Fn::GetAtt': ['DeployFailureQueue', 'Arn'] }), action).toBe(true);
    // The handler derives the queue's URL from the build queue's.
    expect(props('DeployFailureQueue')['QueueName']).toBe(`${props('BuildQueue')['QueueName'] as string}-failed-deploys`);
    expect(template.Outputs?.['DeployFailureQueueUrl']?.Value).toEqual({ Ref: 'DeployFailureQueue' });
  });

  it('runs the reconciler every 10 minutes in the deploy function, with nothing that costs while idle (no poller on the failure queue)', () => {
    expect(props('ReconcileSchedule')).toMatchObject({ ScheduleExpression: RECONCILE_SCHEDULE, State: 'ENABLED', Targets: [{ Arn: { 'Fn::GetAtt': ['DeployFunction', 'Arn'] } }] });
    expect(RECONCILE_SCHEDULE).toBe('rate(10 minutes)');
    expect(props('ReconcileInvokePermission')).toMatchObject({ FunctionName: { Ref: 'DeployFunction' }, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['ReconcileSchedule', 'Arn'] } });
    const mappings = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings.map((m) => JSON.stringify(m.Properties?.['EventSourceArn']))).not.toContain(JSON.stringify({ 'Fn::GetAtt': ['DeployFailureQueue', 'Arn'] }));
  });

  it('lets the orchestrator and the reconciler find a build by its deployment, and the reconciler list projects and stop a build it gives up on', () => {
    const project = { 'Fn::GetAtt': ['BuildProject', 'Arn'] };
    for (const action of ['codebuild:BatchGetBuilds', 'codebuild:ListBuildsForProject']) {
      expect(allows('OrchestratorRole', action, project), `orchestrator ${action}`).toBe(true);
      expect(allows('DeployRole', action, project), `deploy ${action}`).toBe(true);
    }
    expect(allows('DeployRole', 'codebuild:StopBuild', project)).toBe(true);
    expect(allows('DeployRole', 'dynamodb:Scan', { 'Fn::GetAtt': ['ProjectsTable', 'Arn'] })).toBe(true);
    // The reconciler calls a deployment stuck only past the build's own timeout.
    expect(props('BuildProject')['TimeoutInMinutes']).toBe(BUILD_QUEUE_VISIBILITY_SECONDS / 60);
  });
});
