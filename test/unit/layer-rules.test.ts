import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The nevers of the design are lint rules that fail: each forbidden import, linted as if it were in that room. */
const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });

async function errorsFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint rules between rooms', () => {
  it.each([
    ['the aws adapters import the local ones', 'src/adapters/aws/s3-artifacts-new.ts', "import { FileArtifacts } from '../local/store/file-artifacts.js';"],
    ['the local adapters import the aws ones', 'src/adapters/local/runtime/new-host.ts', "import { LambdaFunctionHost } from '../../aws/lambda-function-host.js';"],
    ['a command imports an adapter', 'src/commands/new-command.ts', "import { CloudFormationStacks } from '../adapters/aws/provisioning/cloudformation-stacks.js';"],
    ['a command imports a template', 'src/commands/new-command.ts', "import { projectTemplate } from '../../infra/stack/project-template.js';"],
    ['an aws port adapter imports infra', 'src/adapters/aws/new-adapter.ts', "import { zipFiles } from '../../../infra/bundle-handlers.js';"],
    ['a handler imports an adapter itself', 'infra/handlers/new-handler.ts', "import { createAwsPorts } from '../../src/adapters/aws/create-aws-ports.js';"],
    ['the core imports an adapter', 'src/core/use-cases/new-use-case.ts', "import { S3Artifacts } from '../../adapters/aws/s3-artifacts.js';"],
    ['a template imports an aws adapter (src and infra both ways)', 'infra/stack/new-template.ts', "import { S3Artifacts } from '../../src/adapters/aws/s3-artifacts.js';"],
    ['a template imports provisioning, which imports the templates', 'infra/stack/new-template.ts', "import { AwsProvisioning } from '../../src/adapters/aws/provisioning/aws-provisioning.js';"],
    ['a template imports a handler', 'infra/stack/new-template.ts', "import { handler } from '../handlers/orchestrator.js';"],
    ['a template imports the CLI', 'infra/stack/new-template.ts', "import { Context } from '../../src/cli/context.js';"],
    ['src/lib imports infra', 'src/lib/new-helper.ts', "import { sub } from '../../infra/stack/cfn.js';"],
    ['src/lib imports the core', 'src/lib/new-helper.ts', "import { AnchorError } from '../core/errors.js';"],
    ['a local adapter imports infra', 'src/adapters/local/store/new-store.ts', "import { sub } from '../../../../infra/stack/cfn.js';"],
  ])('fails when %s', async (_what, file, code) => {
    expect(await errorsFor(file, code)).not.toEqual([]);
  });

  it.each([
    ['provisioning imports the templates', 'src/adapters/aws/provisioning/new.ts', "import { projectTemplate } from '../../../../infra/stack/project-template.js';"],
    ['the handlers’ composition root imports the aws adapters', 'infra/handlers/platform-ports.ts', "import { artifactKey } from '../../src/adapters/aws/resource-names.js';"],
    ['an adapter imports core', 'src/adapters/aws/new-adapter.ts', "import { bundleReport } from '../../core/opennext-output.js';"],
    ['a template imports the aws resource names and core', 'infra/stack/new-template.ts', "import { artifactFolder } from '../../src/adapters/aws/resource-names.js';\nimport { nothingLivePage } from '../../src/core/nothing-live-page.js';"],
  ])('allows it when %s', async (_what, file, code) => {
    expect(await errorsFor(file, code)).toEqual([]);
  });
});
