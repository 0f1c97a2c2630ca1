import { allow, getAtt, join, logGroup, ref, serviceRole, sub, type Resource } from './cfn.js';
import { arn, handlerFunction, tableArns, writeLogs, type PipelineInput } from './platform-pipeline.js';
import { platformFunctionName } from '../../src/adapters/aws/resource-names.js';

/** The routes of the platform API on the platform's HTTP API (beside POST /webhook/{projectId}). */
export const API_ROUTE_KEYS = ['ANY /api/{proxy+}'] as const;
/** The dashboard's pages and files, answered by the same function (API Gateway picks the most specific route: /api and /webhook keep theirs). */
export const DASHBOARD_ROUTE_KEYS = ['GET /', 'GET /{proxy+}'] as const;
/** Where in the bootstrap bucket `anchor init --aws` puts each build of the dashboard: `dashboard/<sha256>/`. */
export const DASHBOARD_KEY_ROOT = 'dashboard/';

/**
 * The platform HTTP API (issue #14) on the aws backend: one Lambda running the core's ApiRouter
 * behind routes on the HTTP API the webhooks already use, so no new fixed monthly cost (HTTP APIs
 * and Lambda are paid per request). Its role reads and writes the platform's tables, queues
 * deploys and reads build logs. It may not change functions or aliases: only the deploy role may,
 * so a rollback through the API is run by the deploy function, which the API invokes and awaits.
 */
export function apiResources(input: PipelineInput & { dashboardPrefix?: string | undefined }): Record<string, Resource> {
  const { stage } = input;
  const base = handlerFunction(input, 'api', 'ApiRole', 'ApiLogGroup', { memory: 512, timeout: 29 });
  const props = base.Properties as { Environment: { Variables: Record<string, unknown> } };
  props.Environment.Variables.ANCHOR_WEBHOOK_API_URL = getAtt('WebhookApi', 'ApiEndpoint');
  // The dashboard build this stack serves (content-addressed, beside the handler code): an update
  // switches code and dashboard together, and a rolled-back update points back at files still there.
  props.Environment.Variables.ANCHOR_DASHBOARD_BUCKET = input.handlerBucket;
  props.Environment.Variables.ANCHOR_DASHBOARD_PREFIX = input.dashboardPrefix ?? '';
  return {
    ApiLogGroup: logGroup(`/aws/lambda/${platformFunctionName(stage, 'api')}`, input.logRetentionDays),
    ApiRole: serviceRole({
      service: 'lambda.amazonaws.com',
      policies: {
        api: [
          writeLogs('ApiLogGroup'),
          allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:TransactWriteItems'], tableArns('ProjectsTable', 'DeploymentsTable', 'EnvVarsTable', 'AccessTable', 'DomainsTable'), 'Tables'),
          allow(['sqs:SendMessage'], [getAtt('BuildQueue', 'Arn')], 'QueueDeploys'),
          allow(['logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:DescribeLogStreams', 'logs:CreateLogStream', 'logs:PutLogEvents'], [sub('${BuildLogGroup.Arn}'), sub('${BuildLogGroup.Arn}:*')], 'DeploymentLogs'),
          allow(['ssm:GetParameter', 'ssm:PutParameter'], [arn('ssm', `parameter/anchor/${stage}/secrets/*`)], 'SealedSecrets'),
          { ...allow(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [arn('kms', 'key/*')], 'KmsThroughSsm'), Condition: { StringEquals: { 'kms:ViaService': sub('ssm.${AWS::Region}.amazonaws.com') } } },
          // A rollback is the deploy function's to run (only its role points aliases): the API asks it.
          allow(['lambda:InvokeFunction'], [getAtt('DeployFunction', 'Arn')], 'AskDeployToRollBack'),
          allow(['cloudformation:DescribeStacks'], [arn('cloudformation', `stack/anchor-${stage}-project-*/*`)], 'ReadProjectStacks'),
          // The dashboard's files, and nothing else of the bootstrap bucket (handler code, templates).
          allow(['s3:GetObject'], [join('', [sub('arn:${AWS::Partition}:s3:::'), input.handlerBucket, `/${DASHBOARD_KEY_ROOT}*`])], 'ReadDashboard'),
        ],
      },
    }),
    ApiFunction: base,
    ApiIntegration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: ref('WebhookApi'), IntegrationType: 'AWS_PROXY', IntegrationUri: getAtt('ApiFunction', 'Arn'), PayloadFormatVersion: '2.0', TimeoutInMillis: 29_000 },
    },
    ApiRoute: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { ApiId: ref('WebhookApi'), RouteKey: API_ROUTE_KEYS[0], Target: sub('integrations/${ApiIntegration}') },
    },
    ...Object.fromEntries(
      DASHBOARD_ROUTE_KEYS.map((key, i) => [`DashboardRoute${i === 0 ? 'Root' : 'Files'}`, { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: ref('WebhookApi'), RouteKey: key, Target: sub('integrations/${ApiIntegration}') } }]),
    ),
    DashboardInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: ref('ApiFunction'), Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebhookApi}/*/GET/*') },
    },
    ApiInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: ref('ApiFunction'), Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebhookApi}/*/*/api/*') },
    },
  };
}
