import { MemoryArtifacts, MemoryBuildOutputs, diskBuildOutputs, textOf } from '../fakes/memory/memory-artifacts.js';
import { MemoryDeployments } from '../fakes/memory/memory-deployments.js';
import { MemoryFunctionHost, MemoryStaticHost } from '../fakes/memory/memory-hosts.js';
import { MemoryJobQueue } from '../fakes/memory/memory-job-queue.js';
import { MemoryBuildLogs, MemoryDeliveries, MemoryEnvVars, MemoryProjects } from '../fakes/memory/memory-records.js';
import { MemorySecretBox } from '../fakes/memory/memory-system.js';
import { openNextOutput, ScriptedBuilder } from '../fakes/memory/scripted-builder.js';
import { describeArtifactsContract } from './artifacts.contract.js';
import { describeBuilderContract, type BuildScript } from './builder.contract.js';
import { describeBuildLogsContract } from './build-logs.contract.js';
import { describeDeliveriesContract } from './deliveries.contract.js';
import { describeDeploymentsContract } from './deployments.contract.js';
import { describeEnvVarsContract } from './env-vars.contract.js';
import { describeFunctionHostContract } from './function-host.contract.js';
import { describeJobQueueContract } from './job-queue.contract.js';
import { describeProjectsContract } from './projects.contract.js';
import { describeSecretBoxContract } from './secret-box.contract.js';
import { describeStaticHostContract } from './static-host.contract.js';
import { describeAccessContract } from './access.contract.js';
import { MemoryAccess } from '../fakes/memory/memory-access.js';

/**
 * The in-memory fakes (test/fakes/memory) held to the same contract suites as the real adapters,
 * so a core test that passes on them means what it would on a real backend.
 */
const nothingToClean = async () => {};

describeAccessContract('MemoryAccess', async () => ({ access: new MemoryAccess(), cleanup: nothingToClean }));

describeProjectsContract('MemoryProjects', async () => {
  const envVars = new MemoryEnvVars();
  return { projects: new MemoryProjects(envVars), envVars, cleanup: nothingToClean };
});

describeDeploymentsContract('MemoryDeployments', async () => ({ deployments: new MemoryDeployments(), cleanup: nothingToClean }));

describeEnvVarsContract('MemoryEnvVars', async () => ({ envVars: new MemoryEnvVars(), cleanup: nothingToClean }));

describeDeliveriesContract('MemoryDeliveries', async () => ({ deliveries: new MemoryDeliveries(), cleanup: nothingToClean }));

describeJobQueueContract('MemoryJobQueue', async () => ({ queue: new MemoryJobQueue(), cleanup: nothingToClean }));

describeBuildLogsContract('MemoryBuildLogs', async () => ({ logs: new MemoryBuildLogs(), cleanup: nothingToClean }));

describeSecretBoxContract('MemorySecretBox', async () => ({ box: new MemorySecretBox(), cleanup: nothingToClean }));

describeArtifactsContract('MemoryArtifacts', async () => {
  const artifacts = new MemoryArtifacts(diskBuildOutputs);
  return {
    artifacts,
    readFile: async (info, path) => {
      const content = artifacts.filesAt(info.location).get(path);
      return content === undefined ? null : textOf(content);
    },
    cleanup: nothingToClean,
  };
});

describeStaticHostContract('MemoryStaticHost', async () => {
  const artifacts = new MemoryArtifacts(diskBuildOutputs);
  const host = new MemoryStaticHost(artifacts);
  return {
    host,
    store: (deploymentId, dir) => artifacts.store({ projectName: 'shop', deploymentId }, { kind: 'directory', path: dir }),
    published: async (project, deploymentId, path) => host.published(project, deploymentId, path),
    served: async (project, path) => host.served(project, path),
    cleanup: nothingToClean,
  };
});

describeFunctionHostContract('MemoryFunctionHost', async () => {
  const outputs = new MemoryBuildOutputs();
  const artifacts = new MemoryArtifacts(outputs);
  const host = new MemoryFunctionHost(artifacts);
  return {
    host,
    artifact: async (_project, deploymentId, options = {}) => {
      outputs.write(`memory://outputs/${deploymentId}`, openNextOutput(deploymentId));
      if (options.smokeStatus !== undefined) host.answerSmoke(deploymentId, options.smokeStatus);
      return artifacts.store({ projectName: 'shop', deploymentId }, { kind: 'directory', path: `memory://outputs/${deploymentId}` });
    },
    serving: async (project) => host.serving(project),
    envOf: async (version, name) => host.envOf(version.deploymentId)?.[name],
    cleanup: nothingToClean,
  };
});

describeBuilderContract(
  'ScriptedBuilder',
  async () => {
    const outputs = new MemoryBuildOutputs();
    const builder = new ScriptedBuilder(outputs);
    const scripts = new Map<string, BuildScript>();
    const commit = (script: BuildScript) => Buffer.from(script).toString('hex').padEnd(40, '0');
    return {
      builder,
      request: (script, input) => {
        scripts.set(input.deploymentId, script);
        return { ...input, projectName: 'shop', repoUrl: 'memory://repos/shop', ref: 'main', commitSha: commit(script), root: '' };
      },
      commitOf: commit,
      failureText: 'Module not found',
      // The test plays the build: it prints and ends as its script says.
      end: (started) => {
        const build = builder.builds.find((b) => b.buildId === started.buildId);
        if (!build || !started.ended) throw new Error(`no build ${started.buildId}`);
        const script = scripts.get(build.request.deploymentId);
        const { MARKER, SECRET_TOKEN } = build.request.env;
        if (script === 'succeeds') {
          build.print(`marker ${MARKER}`);
          build.succeed({ files: { ...openNextOutput('v1'), 'env.json': JSON.stringify({ MARKER, SECRET_TOKEN }) } });
        }
        if (script === 'fails') build.fail('npm run build failed (exit 1): Module not found: ./missing');
        return started.ended;
      },
      underWay: async () => {},
      running: async (buildId) => builder.builds.find((b) => b.buildId === buildId)?.state === 'running',
      readOutput: async (dir, path) => {
        const content = (await outputs.read(dir))?.get(path);
        return content === undefined ? null : textOf(content);
      },
      cleanup: nothingToClean,
    };
  },
  { inReach: true },
);
