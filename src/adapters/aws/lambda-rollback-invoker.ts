import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { AnchorError } from '../../core/errors.js';
import { rollbackOf, rollbackRequest } from '../../core/api/rollback-wire.js';
import type { Rollback } from '../../core/use-cases/rollback.js';

/**
 * Asks the platform's deploy function to roll a project back (the API function's role may not
 * point aliases; the deploy role is the one that may), waiting for its answer.
 */
export class LambdaRollbackInvoker {
  constructor(private readonly options: { lambda: LambdaClient; functionName: string }) {}

  async rollback(input: { project: string; to?: string | undefined }): Promise<Rollback> {
    const answer = await this.options.lambda.send(new InvokeCommand({ FunctionName: this.options.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(rollbackRequest(input))) }));
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : '';
    if (answer.FunctionError) {
      throw new AnchorError({ code: 'ROLLBACK_FAILED', kind: 'external', message: `The deploy function failed during the rollback: ${text.slice(0, 300)}`, hint: 'Look at the deploy function\'s log, then try again.' });
    }
    return rollbackOf(text ? (JSON.parse(text) as unknown) : null);
  }
}
