import { GetAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { projectResourceName } from '../resource-names.js';
import { awsErrorNamed } from '../aws-errors.js';

/**
 * The versions alias `live` of a project's functions points at now, as the project stack's
 * `<Kind>LiveVersion` parameters. Deploys move the alias outside CloudFormation, so the stack's
 * own last value is stale (often the empty placeholder); an update given that value would move
 * the live site back. Functions not created yet have no alias: no parameter, the placeholder.
 */
export async function liveVersionParameters(lambda: LambdaClient, stage: string, project: string): Promise<Record<string, string>> {
  const parameters: Record<string, string> = {};
  for (const [kind, parameter] of [['server', 'ServerLiveVersion'], ['image', 'ImageLiveVersion']] as const) {
    try {
      const alias = await lambda.send(new GetAliasCommand({ FunctionName: projectResourceName(stage, project, kind), Name: 'live' }));
      if (alias.FunctionVersion && /^\d+$/.test(alias.FunctionVersion)) parameters[parameter] = alias.FunctionVersion;
    } catch (error) {
      if (!(awsErrorNamed(error, 'ResourceNotFoundException'))) throw error;
    }
  }
  return parameters;
}
