import type { DomainPorts, Ports } from '../../src/core/ports/index.js';
import type { Access } from '../../src/core/ports/access.js';
import type { ApiDeps } from '../../src/core/api/api-types.js';
import type { DashboardSource } from '../../src/core/dashboard/dashboard-response.js';
import type { Clock } from '../../src/core/ports/system.js';
import { projectSiteUrl, recentDomains } from '../../src/core/site-url.js';
import { artifactKey, platformFunctionName } from '../../src/adapters/aws/resource-names.js';

/** CodeBuild's end, read the same way from its state-change event and from BatchGetBuilds (CodeBuildBuilder.status). */
export { codeBuildEnd } from '../../src/adapters/aws/codebuild-build-end.js';
import { readHandlerEnv, type HandlerEnv } from './env.js';
import type { DeployFailureInbox } from './reconcile.js';

/** What a handler gets besides the ports: its env, and the aws-only deploy failure queue. */
export interface HandlerContext extends HandlerEnv {
  deployFailures: DeployFailureInbox;
}

let opened: Promise<{ ports: Ports; access: Access | null; env: HandlerContext; drainReports(ms: number): Promise<boolean> }> | undefined;

/**
 * The aws ports of this Lambda container, built once on the first event and reused while the
 * container lives (clients keep their connections warm). A failed cold start is not cached, so
 * the next event tries again.
 */
function platformPorts(): Promise<{ ports: Ports; access: Access | null; env: HandlerContext; drainReports(ms: number): Promise<boolean> }> {
  opened ??= (async () => {
    const env = readHandlerEnv();
    const { createAwsPorts } = await import('../../src/adapters/aws/create-aws-ports.js');
    // State changes are reported on GitHub from here (core DeploymentReporter), for projects with a token.
    const platform = await createAwsPorts({ region: env.region, stage: env.stage, outputs: env.outputs, reporting: { platformUrl: env.outputs.WebhookApiUrl ?? '' } });
    return { ports: platform.ports as Ports, access: platform.access, env: { ...env, deployFailures: platform.deployFailures }, drainReports: (ms) => platform.drainReports(ms) };
  })();
  opened.catch(() => {
    opened = undefined;
  });
  return opened;
}

/**
 * Turns a handler factory (tested with any ports) into the Lambda `handler` export. After the
 * event is handled, GitHub reports still under way get up to `reportDrainMs` (default 15 s): a
 * frozen container would hold them back until its next event. The pipeline's work is done by then.
 */
export function onAwsPorts<E, R>(make: (ports: Ports, env: HandlerContext) => (event: E) => Promise<R>, options: { reportDrainMs?: number } = {}): (event: E) => Promise<R> {
  let handler: ((event: E) => Promise<R>) | undefined;
  return async (event) => {
    const { ports, env, drainReports } = await platformPorts();
    handler ??= make(ports, env);
    try {
      return await handler(event);
    } finally {
      await drainReports(options.reportDrainMs ?? 15_000);
    }
  };
}

/** Where a build uploads a deployment's output (the buildspec writes resource-names.ts artifactKey). */
export function artifactLocation(env: HandlerEnv): (project: string, deploymentId: string) => string {
  return (project, deploymentId) => `s3://${env.outputs.ArtifactsBucketName}/${artifactKey(project, deploymentId)}`;
}

let domainPorts: Promise<DomainPorts> | undefined;

/** Like onAwsPorts, with the custom-domain ports too (ACM, CloudFront and Route 53 clients, made once per container). */
export function onAwsDomainPorts<E, R>(make: (ports: Ports & DomainPorts) => (event: E) => Promise<R>): (event: E) => Promise<R> {
  let handler: ((event: E) => Promise<R>) | undefined;
  return async (event) => {
    const { ports, env } = await platformPorts();
    domainPorts ??= import('../../src/adapters/aws/create-aws-domain-ports.js').then((m) => m.createAwsDomainPorts({ region: env.region, stage: env.stage, outputs: env.outputs }).ports);
    domainPorts.catch(() => {
      domainPorts = undefined;
    });
    handler ??= make({ ...ports, ...(await domainPorts) });
    return handler(event);
  };
}

let rollbacks: Promise<import('../../src/adapters/aws/lambda-rollback-invoker.js').LambdaRollbackInvoker> | undefined;
let apiExtras: Promise<{ dashboard: DashboardSource | null; siteUrls: { of(project: string): Promise<string | null> } }> | undefined;

/** The API function's own adapters: its dashboard build in S3, and the projects' CloudFront addresses (asked once per container). */
function openApiExtras(env: HandlerContext, clock: Clock): NonNullable<typeof apiExtras> {
  apiExtras ??= (async () => {
    const [{ S3Client }, { CloudFormationClient }, { S3DashboardSource }, { CloudFormationSiteUrls }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('@aws-sdk/client-cloudformation'),
      import('../../src/adapters/aws/s3-dashboard-source.js'),
      import('../../src/adapters/aws/cloudformation-site-urls.js'),
    ]);
    const dashboard = env.dashboard ? new S3DashboardSource({ s3: new S3Client({ region: env.region }), bucket: env.dashboard.bucket, prefix: env.dashboard.prefix }) : null;
    return { dashboard, siteUrls: new CloudFormationSiteUrls({ cloudformation: new CloudFormationClient({ region: env.region }), stage: env.stage, clock }) };
  })();
  apiExtras.catch(() => {
    apiExtras = undefined;
  });
  return apiExtras;
}

/** Like onAwsDomainPorts, with what the platform API needs: owners and tokens, where sites and webhooks are, and the dashboard's files. */
export function onAwsApiDeps<E, R>(make: (deps: ApiDeps, dashboard: DashboardSource | null) => (event: E) => Promise<R>): (event: E) => Promise<R> {
  let handler: ((event: E) => Promise<R>) | undefined;
  return async (event) => {
    const { ports, access, env } = await platformPorts();
    if (!access) throw new Error('anchor API handler: ANCHOR_ACCESS_TABLE is not set; redeploy the platform with "anchor init --aws".');
    domainPorts ??= import('../../src/adapters/aws/create-aws-domain-ports.js').then((m) => m.createAwsDomainPorts({ region: env.region, stage: env.stage, outputs: env.outputs }).ports);
    domainPorts.catch(() => {
      domainPorts = undefined;
    });
    const domains = domainPorts;
    rollbacks ??= Promise.all([import('@aws-sdk/client-lambda'), import('../../src/adapters/aws/lambda-rollback-invoker.js')]).then(
      ([{ LambdaClient }, { LambdaRollbackInvoker }]) => new LambdaRollbackInvoker({ lambda: new LambdaClient({ region: env.region }), functionName: platformFunctionName(env.stage, 'deploy') }),
    );
    const invoker = rollbacks;
    const { dashboard, siteUrls } = await openApiExtras(env, ports.clock);
    let active: ReturnType<typeof recentDomains> | null = null;
    handler ??= make({
      ...ports,
      access,
      // The custom domain once active, else the stack's CloudFront address (core/site-url.ts).
      siteUrl: async (project) => {
        active ??= await domains.then((d) => recentDomains(d.domains, ports.clock), () => null);
        return projectSiteUrl({ domains: active, defaultUrl: (p) => siteUrls.of(p.name) }, project);
      },
      webhookBaseUrl: env.outputs.WebhookApiUrl ?? '',
      domains: () => domains,
      holdsStreams: false,
      // Only the deploy function's role may point aliases: it runs the rollback.
      rollback: async (input) => (await invoker).rollback(input),
      // Removing a project deletes its stack: the CLI's job ("anchor projects rm"), not a request's.
      removeProject: null,
    }, dashboard);
    return handler(event);
  };
}
