import type { Ports } from '../../../src/core/ports/index.js';
import { MemoryArtifacts, MemoryBuildOutputs } from './memory-artifacts.js';
import { MemoryDeployments } from './memory-deployments.js';
import { MemoryFunctionHost, MemoryStaticHost } from './memory-hosts.js';
import { MemoryJobQueue } from './memory-job-queue.js';
import { MemoryBuildLogs, MemoryDeliveries, MemoryEnvVars, MemoryProjects } from './memory-records.js';
import { ManualClock, MemoryRepoHooks, MemoryRepoTokens, MemorySecretBox, RecordingLogger, SequentialIds } from './memory-system.js';
import { MemoryFunctionStates, MemoryRuntimeLogs } from './memory-runtime.js';
import { ScriptedBuilder } from './scripted-builder.js';

/** Every port in memory, typed as the fakes so a test can steer and read them. */
export interface MemoryPorts extends Ports {
  projects: MemoryProjects;
  deployments: MemoryDeployments;
  envVars: MemoryEnvVars;
  deliveries: MemoryDeliveries;
  queue: MemoryJobQueue;
  builder: ScriptedBuilder;
  logs: MemoryBuildLogs;
  artifacts: MemoryArtifacts;
  staticHost: MemoryStaticHost;
  functions: MemoryFunctionHost;
  functionStates: MemoryFunctionStates;
  runtimeLogs: MemoryRuntimeLogs;
  secrets: MemorySecretBox;
  repoHooks: MemoryRepoHooks;
  repoTokens: MemoryRepoTokens;
  clock: ManualClock;
  ids: SequentialIds;
  logger: RecordingLogger;
}

/** A whole backend in memory: the core runs on it in milliseconds, with time moved by hand. */
export function memoryPorts(options: { start?: string } = {}): MemoryPorts {
  const clock = new ManualClock(options.start);
  const outputs = new MemoryBuildOutputs();
  const envVars = new MemoryEnvVars();
  const artifacts = new MemoryArtifacts(outputs);
  return {
    projects: new MemoryProjects(envVars),
    deployments: new MemoryDeployments(),
    envVars,
    deliveries: new MemoryDeliveries(),
    queue: new MemoryJobQueue({ now: () => clock.now().getTime() }),
    builder: new ScriptedBuilder(outputs),
    logs: new MemoryBuildLogs(),
    artifacts,
    staticHost: new MemoryStaticHost(artifacts),
    functions: new MemoryFunctionHost(artifacts),
    functionStates: new MemoryFunctionStates(),
    runtimeLogs: new MemoryRuntimeLogs(),
    secrets: new MemorySecretBox(),
    repoHooks: new MemoryRepoHooks(),
    repoTokens: new MemoryRepoTokens(),
    clock,
    ids: new SequentialIds(),
    logger: new RecordingLogger(),
  };
}
