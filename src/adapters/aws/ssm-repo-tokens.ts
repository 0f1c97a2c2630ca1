import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { RepoTokens, TokenOwner } from '../../core/ports/repo-tokens.js';
import { githubTokenParameter } from './resource-names.js';
import { awsErrorNamed } from './aws-errors.js';

/**
 * Project GitHub tokens as SSM SecureStrings at /anchor/<stage>/<project>/github-token (KMS, the
 * account's aws/ssm key). The name is fixed, not random like SsmSecretBox's: CodeBuild resolves
 * it as a PARAMETER_STORE variable, and the project's build role may read that one parameter.
 */
export class SsmRepoTokens implements RepoTokens {
  constructor(private readonly options: { ssm: SSMClient; stage: string }) {}

  async set(project: TokenOwner, token: string): Promise<void> {
    await this.options.ssm.send(new PutParameterCommand({ Name: this.#name(project), Value: token, Type: 'SecureString', Overwrite: true }));
  }

  async get(project: TokenOwner): Promise<string | null> {
    try {
      const { Parameter } = await this.options.ssm.send(new GetParameterCommand({ Name: this.#name(project), WithDecryption: true }));
      return Parameter?.Value ?? null;
    } catch (error) {
      if (awsErrorNamed(error, 'ParameterNotFound')) return null;
      throw error;
    }
  }

  async remove(project: TokenOwner): Promise<void> {
    try {
      await this.options.ssm.send(new DeleteParameterCommand({ Name: this.#name(project) }));
    } catch (error) {
      if (awsErrorNamed(error, 'ParameterNotFound')) return;
      throw error;
    }
  }

  #name(project: TokenOwner): string {
    return githubTokenParameter(this.options.stage, project.name);
  }
}
