import { AnchorError } from '../../core/errors.js';
import type { DeploymentRef, RuntimeLogLine, RuntimeLogs } from '../../core/ports/runtime-logs.js';
import { projectResourceName } from './resource-names.js';

/**
 * On AWS a site's functions log to CloudWatch Logs, one group per function, which anchor does not
 * read yet: `read` says where to look instead of pretending the log is empty.
 */
export class LambdaRuntimeLogs implements RuntimeLogs {
  constructor(private readonly options: { stage: string }) {}

  async read(ref: DeploymentRef): Promise<{ lines: RuntimeLogLine[]; cursor: string }> {
    const project = ref.projectName;
    const group = `/aws/lambda/${projectResourceName(this.options.stage, project, 'server')}`;
    throw new AnchorError({
      code: 'RUNTIME_LOGS_NOT_ON_AWS',
      kind: 'usage',
      message: `anchor does not read runtime logs on the aws backend yet; ${project}'s server function logs to the CloudWatch log group ${group}.`,
      hint: `Run: aws logs tail ${group} --follow (and the same with -image for the image function).`,
    });
  }

  async remove(): Promise<void> {}
}
