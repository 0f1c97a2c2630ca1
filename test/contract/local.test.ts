import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesSecretBox } from '../../src/adapters/local/store/aes-secret-box.js';
import { FileArtifacts } from '../../src/adapters/local/store/file-artifacts.js';
import { FileBuildLogs } from '../../src/adapters/local/store/file-build-logs.js';
import { FileStaticHost } from '../../src/adapters/local/runtime/file-static-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteDeliveries } from '../../src/adapters/local/store/sqlite-deliveries.js';
import { SqliteDeployments } from '../../src/adapters/local/store/sqlite-deployments.js';
import { SqliteEnvVars } from '../../src/adapters/local/store/sqlite-env-vars.js';
import { SqliteJobQueue } from '../../src/adapters/local/store/sqlite-job-queue.js';
import { SqliteProjects } from '../../src/adapters/local/store/sqlite-projects.js';
import { describeArtifactsContract } from './artifacts.contract.js';
import { describeBuildLogsContract } from './build-logs.contract.js';
import { describeDeliveriesContract } from './deliveries.contract.js';
import { describeDeploymentsContract } from './deployments.contract.js';
import { describeEnvVarsContract } from './env-vars.contract.js';
import { describeJobQueueContract } from './job-queue.contract.js';
import { describeProjectsContract } from './projects.contract.js';
import { describeSecretBoxContract } from './secret-box.contract.js';
import { describeStaticHostContract } from './static-host.contract.js';
import { describeAccessContract } from './access.contract.js';
import { SqliteAccess } from '../../src/adapters/local/store/sqlite-access.js';

/** A fresh platform data dir with a real SQLite file in it. */
async function localPlatform(): Promise<{ dir: string; db: SqliteDatabase; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'anchor-local-contract-'));
  const db = openDatabase(join(dir, 'anchor.db'));
  return {
    dir,
    db,
    async cleanup() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeAccessContract('SqliteAccess', async () => {
  const { db, cleanup } = await localPlatform();
  return { access: new SqliteAccess(db), projects: new SqliteProjects(db), cleanup };
});

describeProjectsContract('SqliteProjects', async () => {
  const { db, cleanup } = await localPlatform();
  return { projects: new SqliteProjects(db), envVars: new SqliteEnvVars(db), cleanup };
});

describeDeploymentsContract('SqliteDeployments', async () => {
  const { db, cleanup } = await localPlatform();
  return { deployments: new SqliteDeployments(db), projects: new SqliteProjects(db), cleanup };
});

describeEnvVarsContract('SqliteEnvVars', async () => {
  const { db, cleanup } = await localPlatform();
  return { envVars: new SqliteEnvVars(db), projects: new SqliteProjects(db), cleanup };
});

describeDeliveriesContract('SqliteDeliveries', async () => {
  const { db, cleanup } = await localPlatform();
  return { deliveries: new SqliteDeliveries(db), cleanup };
});

describeJobQueueContract('SqliteJobQueue', async () => {
  const { db, cleanup } = await localPlatform();
  return { queue: new SqliteJobQueue(db), cleanup };
});

describeBuildLogsContract('FileBuildLogs', async () => {
  const { dir, cleanup } = await localPlatform();
  return { logs: new FileBuildLogs(join(dir, 'logs')), cleanup };
});

describeSecretBoxContract('AesSecretBox', async () => ({ box: new AesSecretBox(randomBytes(32)), cleanup: async () => {} }));

describeArtifactsContract('FileArtifacts', async () => {
  const { dir, cleanup } = await localPlatform();
  return {
    artifacts: new FileArtifacts(join(dir, 'artifacts')),
    readFile: (info, path) => readFile(join(info.location, path), 'utf8').catch(() => null),
    cleanup,
  };
});

// Locally a deployment's assets go live with its functions, in one flip (LocalFunctionHost.activate):
// FileStaticHost.activate does nothing, and nothing here tells which assets the site serves.
describeStaticHostContract(
  'FileStaticHost',
  async () => {
    const { dir, cleanup } = await localPlatform();
    const artifacts = new FileArtifacts(join(dir, 'artifacts'));
    return {
      host: new FileStaticHost(),
      store: (deploymentId, outputDir) => artifacts.store({ projectName: 'shop', deploymentId }, { kind: 'directory', path: outputDir }),
      published: async (_project, deploymentId, path) => {
        const info = await artifacts.get({ projectName: 'shop', deploymentId });
        return info ? readFile(join(info.location, 'assets', path), 'utf8').catch(() => null) : null;
      },
      served: async () => null,
      cleanup,
    };
  },
  { gaps: ['activate'] },
);
