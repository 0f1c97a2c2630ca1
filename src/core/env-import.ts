import { parseDotenv, type DotenvProblem } from './dotenv-format.js';
import { assertEnvKey, assertEnvValue, type EnvTarget } from './env-var.js';
import { AnchorError } from './errors.js';

/** One variable of an import: what `env import` sends, whether to the ports here or to the platform API. */
export interface EnvImportVar {
  key: string;
  value: string;
  secret: boolean;
  targets: EnvTarget[];
}

/**
 * Checks a variable as `env set` does (name, NUL byte, size): null when it is good, else why not.
 * The runtime budget is the store's to check, against what the project already has.
 */
export function envVarProblem(v: Pick<EnvImportVar, 'key' | 'value'>): AnchorError | null {
  try {
    assertEnvKey(v.key);
    assertEnvValue(v.key, v.value);
    return null;
  } catch (error) {
    if (error instanceof AnchorError) return error;
    throw error;
  }
}

/**
 * `env import`'s dotenv file as the variables to set. Every bad line (not KEY=VALUE, a bad or
 * reserved name, a value no process can hold) is reported by its number, before anything is sent
 * or written: on every platform, a file with one bad line imports nothing.
 */
export function parseEnvImport(input: { text: string; secret: boolean; targets: EnvTarget[]; source: string }): EnvImportVar[] {
  const { entries, problems } = parseDotenv(input.text);
  for (const entry of entries) {
    const problem = envVarProblem(entry);
    if (problem) problems.push({ line: entry.line, message: problem.message });
  }
  if (problems.length > 0) throw importInvalid(input.source, problems);
  return entries.map((e) => ({ key: e.key, value: e.value, secret: input.secret, targets: input.targets }));
}

function importInvalid(source: string, problems: DotenvProblem[]): AnchorError {
  problems.sort((a, b) => a.line - b.line);
  return new AnchorError({
    code: 'ENV_IMPORT_INVALID',
    kind: 'usage',
    message: `${source} has ${problems.length} bad line${problems.length === 1 ? '' : 's'}; nothing was imported:\n${problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n')}`,
    hint: 'Fix those lines (KEY=VALUE, names of letters, digits and _) and run the import again.',
    details: { problems },
  });
}
