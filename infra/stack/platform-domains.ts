import { allow, logGroup, serviceRole, sub, type Resource } from './cfn.js';
import { arn, handlerFunction, scheduledInvocation, tableArns, writeLogs, type PipelineInput } from './platform-pipeline.js';
import { table } from './platform-storage.js';
import { platformFunctionName } from '../../src/adapters/aws/resource-names.js';

/** How often the platform measures and moves its custom domains forward (issue #13). */
export const DOMAIN_CHECK_SCHEDULE = 'rate(2 minutes)';

/**
 * Custom domains on the platform stack:
 *
 * domains   HASH name (S). Item = the Domain record (src/core/domain.ts) as it is; a project's
 *           ACM certificate ledger shares the table as `#certificates#<projectId>` (no projectId
 *           attribute). A platform has a handful of domains: readers scan it, strongly consistent.
 *
 * and the `domains` handler, run on a schedule, which does for every project with domains what
 * `anchor domains add --wait` does: the measured check of src/core/use-cases/check-domains.ts.
 * Its role may request and delete only this stage's ACM certificates (us-east-1, tagged
 * anchor:stage), set aliases on CloudFront distributions and write Route 53 records.
 */
export function domainResources(input: PipelineInput): Record<string, Resource> {
  const { stage } = input;
  const certificates = sub('arn:${AWS::Partition}:acm:us-east-1:${AWS::AccountId}:certificate/*');
  const stageTag = { StringEquals: { 'aws:ResourceTag/anchor:stage': stage } };
  return {
    DomainsTable: table({ name: `anchor-${stage}-domains`, hash: { name: 'name', type: 'S' }, pointInTimeRecovery: false }),
    DomainsLogGroup: logGroup(`/aws/lambda/${platformFunctionName(stage, 'domains')}`, input.logRetentionDays),
    DomainsRole: serviceRole({
      service: 'lambda.amazonaws.com',
      policies: {
        domains: [
          writeLogs('DomainsLogGroup'),
          allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'], tableArns('DomainsTable'), 'DomainsTable'),
          allow(['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:Query'], tableArns('ProjectsTable'), 'ReadProjects'),
          // RequestCertificate has no resource; it is allowed only with this stage's tag, which AddTagsToCertificate then writes.
          { ...allow(['acm:RequestCertificate', 'acm:AddTagsToCertificate'], ['*'], 'RequestStageCertificates'), Condition: { StringEquals: { 'aws:RequestTag/anchor:stage': stage } } },
          { ...allow(['acm:DescribeCertificate', 'acm:DeleteCertificate'], [certificates], 'OwnStageCertificates'), Condition: stageTag },
          allow(['cloudfront:GetDistribution', 'cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution', 'cloudfront:ListConflictingAliases', 'cloudfront:AssociateAlias'], [arn('cloudfront', 'distribution/*', true)], 'DistributionAliases'),
          allow(['route53:ListHostedZonesByName'], ['*'], 'FindHostedZones'),
          allow(['route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets'], [sub('arn:${AWS::Partition}:route53:::hostedzone/*')], 'WriteDomainRecords'),
          allow(['cloudformation:DescribeStacks'], [arn('cloudformation', `stack/anchor-${stage}-project-*/*`)], 'ReadProjectStacks'),
        ],
      },
    }),
    DomainsFunction: handlerFunction(input, 'domains', 'DomainsRole', 'DomainsLogGroup', { memory: 512, timeout: 120 }),
    ...scheduledInvocation('Domains', 'domains', 'DomainsFunction', DOMAIN_CHECK_SCHEDULE, 'Check anchor custom domains: DNS, ACM certificates, CloudFront aliases.'),
  };
}
