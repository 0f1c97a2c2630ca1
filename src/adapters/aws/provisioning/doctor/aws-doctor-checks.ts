import type { DoctorCheck } from '../../../../core/doctor-check.js';
import { PLATFORM_ENV_RESERVE_BYTES, RUNTIME_ENV_LIMIT_BYTES, utf8Bytes } from '../../../../core/env-var.js';
import { FUNCTION_WRAPPER, invokeModeOf, type FunctionKind } from '../../../../core/opennext-output.js';
import { DEPLOYMENT_CACHE_HEADER } from '../../../../../infra/stack/project-template.js';
import { buildImageArch } from '../../../../../infra/stack/platform-pipeline.js';
import { evaluate } from './iam-policy.js';
import type { PlatformRead, ProjectRead, Read } from './aws-account-reads.js';

/**
 * The invariants of issue #11, checked against what `readPlatform` found in the account. Pure:
 * every answer comes from the reads, so a test can break each invariant in a fake account.
 */
export function awsDoctorChecks(read: PlatformRead, platform: { stage: string; artifactsBucket: string }): DoctorCheck[] {
  return [
    stackCheck('platform-stack', read.stack, `anchor init --aws --stage ${platform.stage}`),
    bucketsCheck(read.buckets),
    deployRoleCheck(read.deployRole, platform.artifactsBucket),
    dashboardCheck(read.dashboard),
    ...read.projects.flatMap((project) => projectChecks(project, read.buildImage)),
  ];
}

const unread = (id: string, what: string, failed: { error: string; name: string }, permission: string): DoctorCheck => ({
  id,
  status: 'fail',
  message: `Could not read ${what}: ${failed.error}`,
  hint: failed.name === 'AccessDenied' || failed.name === 'AccessDeniedException' ? `Let these credentials ${permission} (README, "anchor doctor on aws").` : `Check that it exists (${permission}); "anchor projects add" or "anchor init --aws" recreates what anchor made.`,
});

const GOOD_STACK = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

function stackCheck(id: string, stack: PlatformRead['stack'], rerun: string): DoctorCheck {
  if ('error' in stack) return unread(id, 'the stack', stack, 'cloudformation:DescribeStacks');
  const { name, status, reason } = stack.value;
  if (GOOD_STACK.has(status)) return { id, status: 'ok', message: `Stack ${name} is ${status}.` };
  const why = reason ? ` (${reason})` : '';
  if (status === 'UPDATE_ROLLBACK_COMPLETE') return { id, status: 'warn', message: `Stack ${name} is ${status}: its last update failed and was rolled back${why}; it runs as it was before.`, hint: `Run "${rerun}" again; its events name what failed.` };
  if (status.endsWith('_IN_PROGRESS')) return { id, status: 'warn', message: `Stack ${name} is ${status}: a change is under way.`, hint: 'Run anchor doctor again when it has finished.' };
  return { id, status: 'fail', message: `Stack ${name} is ${status}${why}, not a *_COMPLETE state it can be updated from.`, hint: `See its events in the CloudFormation console, then run "${rerun}" again (a ROLLBACK_COMPLETE stack must be deleted first).` };
}

function bucketsCheck(buckets: PlatformRead['buckets']): DoctorCheck {
  const missing = Object.entries(buckets).filter(([, r]) => 'error' in r).map(([name, r]) => `${name} (${'error' in r ? r.error : ''})`);
  if (missing.length === 0) return { id: 'buckets', status: 'ok', message: `The platform's buckets exist: ${Object.keys(buckets).join(', ')}.` };
  return { id: 'buckets', status: 'fail', message: `Buckets the platform needs cannot be reached: ${missing.join('; ')}.`, hint: 'Run "anchor init --aws" again to recreate them (s3:ListBucket lets anchor doctor see them).' };
}

function deployRoleCheck(role: PlatformRead['deployRole'], artifactsBucket: string): DoctorCheck {
  const id = 'deploy-role-list-artifacts';
  if ('error' in role) return unread(id, "the deploy function's role", role, 'lambda:GetFunction, iam:ListRolePolicies and iam:GetRolePolicy');
  const answer = evaluate(role.value.statements, 's3:ListBucket', `arn:aws:s3:::${artifactsBucket}`);
  if (answer === 'allowed') return { id, status: 'ok', message: `The deploy role may list the artifacts bucket ${artifactsBucket} (a missing artifact is 404, not 403).` };
  const why = {
    conditional: `may use s3:ListBucket on ${artifactsBucket} only under a condition (S3 checks it for a missing key with no prefix, so a prefix condition never matches)`,
    denied: `is denied s3:ListBucket on ${artifactsBucket}`,
    'not-allowed': `is not allowed s3:ListBucket on ${artifactsBucket}`,
  }[answer];
  return {
    id,
    status: 'fail',
    message: `The deploy role ${role.value.arn} ${why}: S3 answers 403 for a missing artifact, and retention fails on every deploy.`,
    hint: 'Run "anchor init --aws" again: the platform template grants it.',
  };
}

function dashboardCheck(dashboard: PlatformRead['dashboard']): DoctorCheck {
  const id = 'dashboard';
  if ('error' in dashboard) return unread(id, "the API function's dashboard build", dashboard, 'lambda:GetFunction on the API function and s3:GetObject on dashboard/* of the bootstrap bucket');
  const { functionName, bucket, prefix, manifest } = dashboard.value;
  const rerun = 'Run "npm run build" in anchor\'s folder, then "anchor init --aws" again: it uploads the dashboard and points the API function at it.';
  if (prefix === '') return { id, status: 'warn', message: `${functionName} serves no dashboard build: its page says none was uploaded.`, hint: rerun };
  if (!manifest) return { id, status: 'fail', message: `${functionName} serves the dashboard build s3://${bucket}/${prefix}, which is not there (no manifest.json): the dashboard answers 503.`, hint: rerun };
  return { id, status: 'ok', message: `${functionName} serves the dashboard build s3://${bucket}/${prefix}.` };
}

function projectChecks(project: ProjectRead, buildImage: PlatformRead['buildImage']): DoctorCheck[] {
  const p = project.project;
  const live = liveDeployment(project.kvsValue);
  return [
    stackCheck(`${p}/stack`, project.stack, `anchor projects add ${p}`),
    ...(['server', 'image'] as const).flatMap((kind) => [aliasCheck(project, kind, live), invokeModeCheck(project, kind), architectureCheck(project, kind, buildImage)]),
    envBudgetCheck(project),
    distributionCheck(project),
    cacheKeyCheck(project),
    edgeFunctionCheck(project),
  ];
}

function liveDeployment(value: Read<string | null>): Read<string | null> {
  if ('error' in value || value.value === null) return value;
  const text = value.value;
  try {
    const prefix = text.startsWith('{') ? (JSON.parse(text) as { p?: unknown }).p : text;
    if (typeof prefix === 'string' && prefix.includes('/')) return { value: prefix.slice(prefix.indexOf('/') + 1) };
  } catch {
    // falls through to the error below
  }
  return { error: `the KeyValueStore value ${JSON.stringify(text.slice(0, 80))} names no deployment`, name: 'Malformed' };
}

const deploymentOf = (description: string): string | null => /^anchor (\S+)$/.exec(description)?.[1] ?? null;

function aliasCheck(project: ProjectRead, kind: FunctionKind, live: Read<string | null>): DoctorCheck {
  const p = project.project;
  const id = `${p}/${kind}-live`;
  const fn = project.functions[kind];
  if ('error' in fn.live) return unread(id, `alias live of ${fn.name}`, fn.live, 'lambda:GetFunction');
  if ('error' in live) return unread(id, `the live deployment of ${p} from its KeyValueStore`, live, 'cloudfront-keyvaluestore:GetKey');
  const { version, description } = fn.live.value;
  const fix = live.value === null ? `Run "anchor deploy ${p}".` : `Run "anchor rollback ${p} ${live.value}" to point the functions and the assets at it together.`;
  if (version === '$LATEST') return { id, status: 'fail', message: `Alias live of ${fn.name} points at $LATEST, not a published version: whatever the next update writes is live at once.`, hint: fix };
  const deployment = deploymentOf(description);
  if (deployment === null) {
    if (live.value === null) return { id, status: 'warn', message: `${fn.name} serves the placeholder (version ${version}): ${p} has no deployment yet.`, hint: fix };
    return { id, status: 'fail', message: `Alias live of ${fn.name} points at version ${version} (${description || 'no description'}), not a deployment's version, while the KeyValueStore says ${live.value} is live: visitors get the placeholder with its assets missing.`, hint: fix };
  }
  if (live.value !== deployment) {
    return { id, status: 'fail', message: `Alias live of ${fn.name} serves ${deployment} (version ${version}) but the KeyValueStore routes assets to ${live.value ?? 'nothing'}: pages and their assets come from two deployments.`, hint: fix };
  }
  return { id, status: 'ok', message: `${fn.name}: alias live → version ${version}, deployment ${deployment}, the one the KeyValueStore routes assets to.` };
}

function invokeModeCheck(project: ProjectRead, kind: FunctionKind): DoctorCheck {
  const id = `${project.project}/${kind}-invoke-mode`;
  const fn = project.functions[kind];
  if ('error' in fn.invokeMode) return unread(id, `the Function URL of ${fn.name}:live`, fn.invokeMode, 'lambda:GetFunctionUrlConfig');
  const wanted = invokeModeOf(FUNCTION_WRAPPER[kind]);
  if (fn.invokeMode.value === wanted) return { id, status: 'ok', message: `${fn.name}'s URL invokes ${wanted}, as its ${FUNCTION_WRAPPER[kind]} wrapper answers.` };
  return {
    id,
    status: 'fail',
    message: `${fn.name}'s URL invokes ${fn.invokeMode.value}, but the function is built with the ${FUNCTION_WRAPPER[kind]} wrapper, which needs ${wanted}: visitors get ${wanted === 'RESPONSE_STREAM' ? 'its raw stream prelude' : 'its raw JSON'} instead of the page.`,
    hint: `Run "anchor projects add ${project.project}" to update its stack (the template sets ${wanted}).`,
  };
}

function architectureCheck(project: ProjectRead, kind: FunctionKind, buildImage: PlatformRead['buildImage']): DoctorCheck {
  const id = `${project.project}/${kind}-architecture`;
  const fn = project.functions[kind];
  if ('error' in fn.live) return unread(id, `alias live of ${fn.name}`, fn.live, 'lambda:GetFunction');
  if ('error' in buildImage) return unread(id, 'the CodeBuild project', buildImage, 'codebuild:BatchGetProjects');
  const built = buildImageArch(buildImage.value.image) === 'arm64' ? 'arm64' : 'x86_64';
  const runs = fn.live.value.architectures[0] ?? 'x86_64';
  if (runs === built) return { id, status: 'ok', message: `${fn.name} runs on ${runs}, the CPU builds run on (${buildImage.value.image}).` };
  return {
    id,
    status: 'fail',
    message: `${fn.name} runs on ${runs} but builds run on ${built} (${buildImage.value.image}): sharp and every native module in the bundle are for the wrong CPU.`,
    hint: 'Run "anchor init --aws" and "anchor projects add <project>" again so both use the same architecture (arm64 by default).',
  };
}

/** The variables anchor sets on the functions itself; everything else on the server is the project's. */
const PLATFORM_ENV = /^(ANCHOR_.*|CACHE_BUCKET_.*|BUCKET_(NAME|KEY_PREFIX|REGION)|CACHE_DYNAMO_TABLE|REVALIDATION_QUEUE_(URL|REGION))$/;

function envBudgetCheck(project: ProjectRead): DoctorCheck {
  const id = `${project.project}/env-budget`;
  const fn = project.functions.server;
  if ('error' in fn.live) return unread(id, `alias live of ${fn.name}`, fn.live, 'lambda:GetFunction');
  const sizes = Object.entries(fn.live.value.env).map(([key, value]) => ({ platform: PLATFORM_ENV.test(key), bytes: utf8Bytes(key) + utf8Bytes(value) }));
  const platformBytes = sizes.filter((s) => s.platform).reduce((sum, s) => sum + s.bytes, 0);
  const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
  const figures = `${total} of ${RUNTIME_ENV_LIMIT_BYTES} bytes, anchor's own ${platformBytes} of the ${PLATFORM_ENV_RESERVE_BYTES} reserved`;
  if (platformBytes > PLATFORM_ENV_RESERVE_BYTES) {
    return { id, status: 'fail', message: `${fn.name}'s environment: ${figures}. anchor's variables outgrew their reserve, so "anchor env set" admits values Lambda will refuse at deploy.`, hint: 'Report this as an anchor bug; meanwhile keep runtime variables small.' };
  }
  if (total - platformBytes + PLATFORM_ENV_RESERVE_BYTES > RUNTIME_ENV_LIMIT_BYTES) {
    return { id, status: 'fail', message: `${fn.name}'s environment: ${figures}: the project's variables leave anchor less than its reserve, and the next deploy will be refused.`, hint: `Move large values out of the runtime env ("anchor env set ${project.project} KEY=… --target build", or a file or database).` };
  }
  return { id, status: 'ok', message: `${fn.name}'s environment: ${figures}.` };
}

function distributionCheck(project: ProjectRead): DoctorCheck {
  const id = `${project.project}/distribution`;
  if ('error' in project.distribution) return unread(id, 'the CloudFront distribution', project.distribution, 'cloudfront:GetDistribution');
  const d = project.distribution.value;
  if (!d.enabled) return { id, status: 'fail', message: `Distribution ${d.id} is disabled: the site answers nothing.`, hint: 'Enable it in the CloudFront console, or run "anchor projects add" again.' };
  if (d.status !== 'Deployed') return { id, status: 'warn', message: `Distribution ${d.id} is ${d.status}: a change is still reaching the edge locations.`, hint: 'Wait a few minutes and run anchor doctor again.' };
  return { id, status: 'ok', message: `Distribution ${d.id} is Deployed.` };
}

function cacheKeyCheck(project: ProjectRead): DoctorCheck {
  const id = `${project.project}/cache-key`;
  if ('error' in project.distribution) return unread(id, 'the CloudFront distribution', project.distribution, 'cloudfront:GetDistribution');
  const problems: string[] = [];
  for (const b of project.distribution.value.behaviours.filter((b) => b.origin === 'server' || b.origin === 'image')) {
    const policy = b.cachePolicyId === null ? null : project.cachePolicies[b.cachePolicyId];
    if (!policy) problems.push(`${b.pattern} has no cache policy`);
    else if ('error' in policy) problems.push(`${b.pattern}: its cache policy could not be read (${policy.error})`);
    else if (!policy.value.includes(DEPLOYMENT_CACHE_HEADER)) problems.push(`${b.pattern} (${b.origin}) keys on ${policy.value.join(', ') || 'no header'}`);
  }
  if (problems.length === 0) return { id, status: 'ok', message: `Every server and image behaviour keys its cache on ${DEPLOYMENT_CACHE_HEADER}: a deploy or rollback starts fresh keys.` };
  return { id, status: 'fail', message: `The cache key lacks the deployment: ${problems.join('; ')}. After a deploy, CloudFront serves pages of the old deployment for up to a year.`, hint: `Run "anchor projects add ${project.project}" to restore its cache policies.` };
}

function edgeFunctionCheck(project: ProjectRead): DoctorCheck {
  const id = `${project.project}/edge-function`;
  const fix = `Run "anchor projects add ${project.project}" to publish and associate it again.`;
  if ('error' in project.edgeFunction) {
    if (project.edgeFunction.name === 'NoSuchFunctionExists') return { id, status: 'fail', message: `CloudFront Function ${project.edgeFunctionName} has no LIVE stage: it was never published, so no request reaches the live deployment's assets.`, hint: fix };
    return unread(id, 'the CloudFront Function', project.edgeFunction, 'cloudfront:DescribeFunction');
  }
  const f = project.edgeFunction.value;
  const problems: string[] = [];
  if (f.status !== 'DEPLOYED') problems.push(`its LIVE stage is ${f.status}, not DEPLOYED`);
  if (project.kvsArn !== null && !f.keyValueStores.includes(project.kvsArn)) problems.push('it is not associated with the project\'s KeyValueStore');
  if ('value' in project.distribution) {
    const without = project.distribution.value.behaviours.filter((b) => !b.viewerRequestFunctions.includes(f.arn)).map((b) => b.pattern);
    if (without.length > 0) problems.push(`behaviours ${without.join(', ')} do not run it on viewer-request`);
  }
  if (problems.length === 0) return { id, status: 'ok', message: `CloudFront Function ${f.name} is published, reads the KeyValueStore, and runs on every behaviour.` };
  return { id, status: 'fail', message: `CloudFront Function ${f.name}: ${problems.join('; ')}. Requests miss the live deployment's assets and cache key.`, hint: fix };
}
