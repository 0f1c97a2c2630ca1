import type { Deployment } from '../deployment.js';
import { envVarProblem, type EnvImportVar } from '../env-import.js';
import { assertEnvKey, assertEnvValue, assertRuntimeBudget, type EnvTarget, type EnvVar } from '../env-var.js';
import { AnchorError } from '../errors.js';
import { mergeDotenv, type PullVar } from '../dotenv-format.js';
import type { Ports } from '../ports/index.js';
import { getProject } from './projects.js';

export type EnvDeps = Pick<Ports, 'projects' | 'envVars' | 'secrets' | 'clock'>;

/** What `env ls` shows: a secret's value never leaves anchor. */
export interface EnvListing {
  key: string;
  value: string | null;
  secret: boolean;
  targets: EnvTarget[];
  updatedAt: string;
}

/** What `env ls` shows for a secret's value (not the log redaction `***`, which stands in inside a line). */
export const HIDDEN_VALUE = '••••••••';

async function toEnvVar(deps: EnvDeps, projectId: string, input: EnvImportVar): Promise<EnvVar> {
  assertEnvKey(input.key);
  const valueBytes = assertEnvValue(input.key, input.value);
  return {
    projectId,
    key: input.key,
    value: input.secret ? await deps.secrets.seal(input.value) : input.value,
    secret: input.secret,
    targets: input.targets,
    valueBytes,
    updatedAt: deps.clock.now().toISOString(),
  };
}

function withReplaced(current: EnvVar[], next: EnvVar[]): EnvVar[] {
  const keys = new Set(next.map((v) => v.key));
  return [...current.filter((v) => !keys.has(v.key)), ...next];
}

export async function setEnv(deps: EnvDeps, input: { project: string; key: string; value: string; secret: boolean; targets: EnvTarget[] }): Promise<{ key: string; created: boolean; secret: boolean; targets: EnvTarget[] }> {
  const project = await getProject(deps, input.project);
  const v = await toEnvVar(deps, project.id, input);
  const current = await deps.envVars.list(project.id);
  assertRuntimeBudget(withReplaced(current, [v]));
  await deps.envVars.set(v);
  return { key: v.key, created: !current.some((c) => c.key === v.key), secret: v.secret, targets: v.targets };
}

export async function listEnv(deps: Pick<EnvDeps, 'projects' | 'envVars'>, input: { project: string }): Promise<EnvListing[]> {
  const project = await getProject(deps, input.project);
  const vars = await deps.envVars.list(project.id);
  return vars
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((v) => ({ key: v.key, value: v.secret ? null : v.value, secret: v.secret, targets: v.targets, updatedAt: v.updatedAt }));
}

/**
 * Removes a variable; a secret's copy kept by the builder (CodeBuild's SSM parameter) goes with
 * it. Without a builder at hand (the local CLI: builds run in the server and keep no copy) there is
 * nothing to forget.
 */
export async function removeEnv(deps: Pick<EnvDeps, 'projects' | 'envVars'> & Partial<Pick<Ports, 'builder'>>, input: { project: string; key: string }): Promise<void> {
  const project = await getProject(deps, input.project);
  const secret = (await deps.envVars.list(project.id)).some((v) => v.key === input.key && v.secret);
  const removed = await deps.envVars.remove(project.id, input.key);
  if (removed && secret) await deps.builder?.forgetSecret(project.name, input.key);
  if (!removed) {
    throw new AnchorError({
      code: 'ENV_NOT_FOUND',
      kind: 'not-found',
      message: `Project "${input.project}" has no variable ${input.key}.`,
      hint: `Run "anchor env ls ${input.project}" to see its variables.`,
    });
  }
}

export async function pullEnv(deps: Pick<EnvDeps, 'projects' | 'envVars'>, input: { project: string; existing: string | null; target: EnvTarget }) {
  const project = await getProject(deps, input.project);
  const vars = (await deps.envVars.list(project.id)).filter((v) => v.targets.includes(input.target)).sort((a, b) => a.key.localeCompare(b.key));
  const pulled: PullVar[] = vars.map((v) => ({ key: v.key, value: v.secret ? null : v.value, secret: v.secret }));
  return mergeDotenv(input.existing, pulled, `# Pulled from anchor project "${project.name}" (${input.target} variables).`);
}

/**
 * Sets many variables at once, all or nothing: every one is checked (as `env set` checks it, then
 * the runtime budget with all of them) before any is written. A key given twice takes its last
 * value. `env import` reads its file with parseEnvImport first, so a bad line is named by number.
 */
export async function importEnv(deps: EnvDeps, input: { project: string; vars: EnvImportVar[] }): Promise<{ imported: string[] }> {
  const project = await getProject(deps, input.project);
  const problems = input.vars.flatMap((v, index) => {
    const problem = envVarProblem(v);
    return problem ? [{ index, key: v.key, message: problem.message }] : [];
  });
  if (problems.length > 0) {
    throw new AnchorError({
      code: 'ENV_IMPORT_INVALID',
      kind: 'usage',
      message: `${problems.length} of the ${input.vars.length} variables ${problems.length === 1 ? 'is' : 'are'} bad; nothing was imported:\n${problems.map((p) => `  vars[${p.index}]: ${p.message}`).join('\n')}`,
      hint: 'Fix those variables (names of letters, digits and _, not AWS_* or ANCHOR_*; values without NUL, at most 64 KB) and import again.',
      details: { problems },
    });
  }
  const latest = [...new Map(input.vars.map((v) => [v.key, v])).values()];
  const vars: EnvVar[] = [];
  for (const v of latest) vars.push(await toEnvVar(deps, project.id, v));
  assertRuntimeBudget(withReplaced(await deps.envVars.list(project.id), vars));
  await deps.envVars.setMany(vars);
  return { imported: vars.map((v) => v.key) };
}

/** A deployment's env as stored with it: values as in the env store (secrets still sealed). */
export type EnvSnapshot = NonNullable<Deployment['runtimeEnv']>;

/**
 * Plaintext env of a target, for a build or a deployment, read once: the `snapshot` (secrets still
 * sealed) is exactly what `values` was opened from, so a deployment stores what it runs with.
 */
export async function resolveEnv(
  deps: Pick<EnvDeps, 'envVars' | 'secrets'>,
  projectId: string,
  target: EnvTarget,
): Promise<{ values: Record<string, string>; secretValues: string[]; secretKeys: string[]; snapshot: EnvSnapshot }> {
  const vars = (await deps.envVars.list(projectId)).filter((v) => v.targets.includes(target));
  const snapshot: EnvSnapshot = Object.fromEntries(vars.map((v) => [v.key, { value: v.value, secret: v.secret }]));
  return { ...(await openEnvSnapshot(deps, snapshot)), secretKeys: vars.filter((v) => v.secret).map((v) => v.key), snapshot };
}

/** Opens a stored env snapshot (a rollback target's, the live one after a restart): secrets opened here and nowhere else. */
export async function openEnvSnapshot(deps: Pick<EnvDeps, 'secrets'>, snapshot: EnvSnapshot | null): Promise<{ values: Record<string, string>; secretValues: string[] }> {
  const values: Record<string, string> = {};
  const secretValues: string[] = [];
  for (const [key, v] of Object.entries(snapshot ?? {})) {
    const plain = v.secret ? await deps.secrets.open(v.value) : v.value;
    values[key] = plain;
    if (v.secret && plain !== '') secretValues.push(plain);
  }
  return { values, secretValues };
}
