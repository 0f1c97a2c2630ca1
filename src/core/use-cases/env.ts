import type { Deployment } from '../deployment.js';
import { assertEnvKey, assertRuntimeBudget, utf8Bytes, type EnvTarget, type EnvVar } from '../env-var.js';
import { AnchorError } from '../errors.js';
import { mergeDotenv, parseDotenv, type PullVar } from '../dotenv-format.js';
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

const MAX_VALUE_BYTES = 64 * 1024;

async function toEnvVar(deps: EnvDeps, projectId: string, input: { key: string; value: string; secret: boolean; targets: EnvTarget[] }, line?: number): Promise<EnvVar> {
  const where = line === undefined ? '' : `Line ${line}: `;
  try {
    assertEnvKey(input.key);
  } catch (error) {
    if (error instanceof AnchorError && line !== undefined) throw new AnchorError({ code: error.code, kind: error.kind, message: where + error.message, hint: error.hint });
    throw error;
  }
  if (input.value.includes('\0')) {
    // No process can be given it: every later build and function start would fail on it.
    throw new AnchorError({
      code: 'ENV_VALUE_INVALID',
      kind: 'usage',
      message: `${where}The value of ${input.key} contains a NUL byte, which no environment variable can hold.`,
      hint: 'Remove the NUL character (\\0) from the value; for binary data, store it base64-encoded.',
    });
  }
  const valueBytes = utf8Bytes(input.value);
  if (valueBytes > MAX_VALUE_BYTES) {
    throw new AnchorError({
      code: 'ENV_VALUE_TOO_LARGE',
      kind: 'usage',
      message: `${where}The value of ${input.key} is ${valueBytes} bytes; the largest value anchor stores is ${MAX_VALUE_BYTES} bytes.`,
      hint: 'Store large content in a file in your repository or in a database, and keep only a reference in the env.',
    });
  }
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

export async function importEnv(deps: EnvDeps, input: { project: string; text: string; secret: boolean; targets: EnvTarget[]; source: string }): Promise<{ imported: string[] }> {
  const project = await getProject(deps, input.project);
  const { entries, problems } = parseDotenv(input.text);
  const vars: EnvVar[] = [];
  for (const entry of entries) {
    try {
      vars.push(await toEnvVar(deps, project.id, { key: entry.key, value: entry.value, secret: input.secret, targets: input.targets }, entry.line));
    } catch (error) {
      if (!(error instanceof AnchorError)) throw error;
      problems.push({ line: entry.line, message: error.message.replace(/^Line \d+: /, '') });
    }
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line);
    throw new AnchorError({
      code: 'ENV_IMPORT_INVALID',
      kind: 'usage',
      message: `${input.source} has ${problems.length} bad line${problems.length === 1 ? '' : 's'}; nothing was imported:\n${problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n')}`,
      hint: 'Fix those lines (KEY=VALUE, names of letters, digits and _) and run the import again.',
      details: { problems },
    });
  }
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
export async function resolveEnv(deps: Pick<EnvDeps, 'envVars' | 'secrets'>, projectId: string, target: EnvTarget): Promise<{ values: Record<string, string>; secretValues: string[]; snapshot: EnvSnapshot }> {
  const vars = (await deps.envVars.list(projectId)).filter((v) => v.targets.includes(target));
  const snapshot: EnvSnapshot = Object.fromEntries(vars.map((v) => [v.key, { value: v.value, secret: v.secret }]));
  return { ...(await openEnvSnapshot(deps, snapshot)), snapshot };
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
