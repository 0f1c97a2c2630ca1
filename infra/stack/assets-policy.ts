import type { CfnValue, PolicyStatement } from './cfn.js';

/** A project's CloudFront distribution, allowed to read the project's own assets prefix. */
export interface AssetReader {
  project: string;
  distributionId: string;
}

/** How the policy names the bucket and the distributions: intrinsics in the template, plain ARNs for PutBucketPolicy. */
export interface AssetsPolicyNames {
  bucketArn: CfnValue;
  objectsArn(prefix: string): CfnValue;
  distributionArn(id: string): CfnValue;
}

/**
 * The assets bucket's policy, one rule for the platform template and for `projects add`/`rm`
 * (which write it straight away, so a new site can read its assets before the next platform
 * update, which then writes the same document): plain HTTP is refused, and each project's
 * distribution (OAC, cloudfront.amazonaws.com with that distribution as AWS:SourceArn) may read
 * `<project>/*` and nothing else. No distribution of the account reads another project's files.
 */
export function assetsBucketStatements(readers: readonly AssetReader[], names: AssetsPolicyNames): PolicyStatement[] {
  const sorted = [...readers].sort((a, b) => a.project.localeCompare(b.project));
  return [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Resource: [names.bucketArn, names.objectsArn('')],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    ...sorted.map(
      (reader): PolicyStatement => ({
        Sid: `ReadAssets${reader.project.replace(/[^A-Za-z0-9]/g, '')}${reader.project.length}`,
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: ['s3:GetObject'],
        Resource: names.objectsArn(`${reader.project}/`),
        Condition: { StringEquals: { 'AWS:SourceArn': names.distributionArn(reader.distributionId) } },
      }),
    ),
  ];
}

/** The readers a saved aws platform config names: every project with a distribution. */
export function assetReadersOf(projects: Record<string, Record<string, string>>): AssetReader[] {
  return Object.entries(projects).flatMap(([project, outputs]) => (outputs['DistributionId'] ? [{ project, distributionId: outputs['DistributionId'] }] : []));
}
