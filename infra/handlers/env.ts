import { z } from 'zod';
import { HANDLER_ENV } from '../stack/platform-pipeline.js';
import type { PlatformOutputs } from '../stack/platform-template.js';

/**
 * The only place a Lambda handler reads process.env (STYLE.md rule 11). The platform stack sets
 * exactly the HANDLER_ENV names on every handler; Lambda itself sets AWS_REGION.
 */
export interface HandlerEnv {
  region: string;
  stage: string;
  /** The same names the CLI saves from the platform stack's outputs, so createAwsPorts sees one shape. */
  outputs: Partial<PlatformOutputs> & Record<string, string>;
  /** The API function's dashboard build (bootstrap bucket, `dashboard/<sha256>/`); null elsewhere, or before one was uploaded. */
  dashboard?: { bucket: string; prefix: string } | null;
}

/** HANDLER_ENV variable → platform stack output key holding the same value. */
const OUTPUT_OF: Record<keyof typeof HANDLER_ENV, keyof PlatformOutputs> = {
  ANCHOR_STAGE: 'Stage',
  ANCHOR_PROJECTS_TABLE: 'ProjectsTableName',
  ANCHOR_DEPLOYMENTS_TABLE: 'DeploymentsTableName',
  ANCHOR_ENV_VARS_TABLE: 'EnvVarsTableName',
  ANCHOR_DELIVERIES_TABLE: 'DeliveriesTableName',
  ANCHOR_ARTIFACTS_BUCKET: 'ArtifactsBucketName',
  ANCHOR_ASSETS_BUCKET: 'AssetsBucketName',
  ANCHOR_CACHE_BUCKET: 'CacheBucketName',
  ANCHOR_BUILD_QUEUE_URL: 'BuildQueueUrl',
  ANCHOR_BUILD_PROJECT: 'BuildProjectName',
  ANCHOR_BUILD_LOG_GROUP: 'BuildLogGroupName',
  ANCHOR_DOMAINS_TABLE: 'DomainsTableName',
  ANCHOR_PLATFORM_URL: 'WebhookApiUrl',
  ANCHOR_ACCESS_TABLE: 'AccessTableName',
};

const required = z.string().min(1);
const schema = z.object({
  AWS_REGION: required,
  ...(Object.fromEntries(Object.keys(HANDLER_ENV).map((key) => [key, required])) as Record<keyof typeof HANDLER_ENV, typeof required>),
});

export function readHandlerEnv(source: Record<string, string | undefined> = process.env): HandlerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    // A deployment mistake, not a request error: fail the cold start loudly so it shows in the function's logs.
    throw new Error(`anchor handler environment is incomplete (${missing}); redeploy the platform with "anchor init --aws".`);
  }
  const env = parsed.data;
  const outputs: Record<string, string> = {};
  for (const [variable, output] of Object.entries(OUTPUT_OF)) outputs[output] = env[variable as keyof typeof HANDLER_ENV];
  // Only the API function is told where the webhook API is (its own routes are on it).
  if (source.ANCHOR_WEBHOOK_API_URL) outputs.WebhookApiUrl = source.ANCHOR_WEBHOOK_API_URL;
  const dashboard = source.ANCHOR_DASHBOARD_BUCKET && source.ANCHOR_DASHBOARD_PREFIX ? { bucket: source.ANCHOR_DASHBOARD_BUCKET, prefix: source.ANCHOR_DASHBOARD_PREFIX } : null;
  return { region: env.AWS_REGION, stage: env.ANCHOR_STAGE, outputs, dashboard };
}
