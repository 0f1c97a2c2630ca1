import { DeleteParametersCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { S3Client } from '@aws-sdk/client-s3';
import { deletePrefix } from '../s3-prefix.js';
import { artifactFolder, secretParameterPath } from '../resource-names.js';

export interface ProjectDataBuckets {
  artifacts: string;
  assets: string;
  cache: string;
}

export interface RemovedProjectData {
  /** Objects deleted, per bucket. */
  objects: { artifacts: number; assets: number; cache: number };
  /** SSM parameter names deleted (the project's build secrets and webhook values). */
  parameters: string[];
}

/**
 * What a project leaves in the platform's buckets and Parameter Store once its stack is gone:
 * its artifacts (`builds/<project>/`), assets and ISR cache (`<project>/`), and every parameter
 * under `/anchor/<stage>/<project>/` (build secrets, webhook values). Each prefix ends with `/`,
 * so project `shop` never takes `shop-eu`'s. Running it again finds nothing and deletes nothing.
 */
export async function removeProjectData(clients: { s3: S3Client; ssm: SSMClient }, input: { stage: string; project: string; buckets: ProjectDataBuckets }): Promise<RemovedProjectData> {
  const { project, buckets } = input;
  const objects = {
    artifacts: await deletePrefix(clients.s3, buckets.artifacts, `${artifactFolder(project, '')}`),
    assets: await deletePrefix(clients.s3, buckets.assets, `${project}/`),
    cache: await deletePrefix(clients.s3, buckets.cache, `${project}/`),
  };
  const path = secretParameterPath(input.stage, project).replace(/env\/$/, '');
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await clients.ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true, NextToken: token }));
    for (const p of page.Parameters ?? []) if (p.Name) names.push(p.Name);
    token = page.NextToken;
  } while (token);
  const parameters: string[] = [];
  for (let i = 0; i < names.length; i += 10) {
    const result = await clients.ssm.send(new DeleteParametersCommand({ Names: names.slice(i, i + 10) }));
    parameters.push(...(result.DeletedParameters ?? []));
  }
  return { objects, parameters };
}
