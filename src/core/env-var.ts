import { AnchorError } from './errors.js';

export const ENV_TARGETS = ['build', 'runtime'] as const;
export type EnvTarget = (typeof ENV_TARGETS)[number];

export interface EnvVar {
  projectId: string;
  key: string;
  /** Plaintext for a plain variable; SecretBox output for a secret (its plaintext is never stored). */
  value: string;
  secret: boolean;
  targets: EnvTarget[];
  /** UTF-8 size of the plaintext value, kept so the runtime budget can be checked without opening secrets. */
  valueBytes: number;
  updatedAt: string;
}

/** Lambda's limit for the whole set of a function's environment variables. */
export const RUNTIME_ENV_LIMIT_BYTES = 4096;
/**
 * What anchor's own variables on the server function may take of that limit (ANCHOR_*, the
 * origin secrets, the ISR cache's CACHE_BUCKET_*, the tag table and the revalidation queue's URL:
 * under 600 bytes for the longest names aws allows): the same on both backends, so an app that
 * fits locally fits on Lambda.
 */
export const PLATFORM_ENV_RESERVE_BYTES = 768;
const POSIX_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LAMBDA_RESERVED = new Set(['_HANDLER', '_X_AMZN_TRACE_ID', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']);

export function assertEnvKey(key: string): void {
  if (!POSIX_NAME.test(key)) {
    throw new AnchorError({
      code: 'ENV_KEY_INVALID',
      kind: 'usage',
      message: `"${key}" is not a valid environment variable name.`,
      hint: 'Use letters, digits and underscores, not starting with a digit (e.g. DATABASE_URL).',
    });
  }
  const upper = key.toUpperCase();
  if (upper.startsWith('AWS_') || upper.startsWith('ANCHOR_') || upper.startsWith('_AWS_') || LAMBDA_RESERVED.has(upper)) {
    throw new AnchorError({
      code: 'ENV_KEY_RESERVED',
      kind: 'usage',
      message: `"${key}" is reserved: AWS_*, ANCHOR_* and Lambda's own names (_HANDLER, LAMBDA_TASK_ROOT, …) are set by the platform.`,
      hint: 'Pick another name, e.g. prefix it with your app name (SHOP_AWS_REGION).',
    });
  }
}

/** The largest value anchor stores (one env var). */
export const MAX_VALUE_BYTES = 64 * 1024;

/** A value any backend can store and any process be given; answers its size in bytes. */
export function assertEnvValue(key: string, value: string): number {
  if (value.includes('\0')) {
    // No process can be given it: every later build and function start would fail on it.
    throw new AnchorError({
      code: 'ENV_VALUE_INVALID',
      kind: 'usage',
      message: `The value of ${key} contains a NUL byte, which no environment variable can hold.`,
      hint: 'Remove the NUL character (\\0) from the value; for binary data, store it base64-encoded.',
    });
  }
  const valueBytes = utf8Bytes(value);
  if (valueBytes > MAX_VALUE_BYTES) {
    throw new AnchorError({
      code: 'ENV_VALUE_TOO_LARGE',
      kind: 'usage',
      message: `The value of ${key} is ${valueBytes} bytes; the largest value anchor stores is ${MAX_VALUE_BYTES} bytes.`,
      hint: 'Store large content in a file in your repository or in a database, and keep only a reference in the env.',
    });
  }
  return valueBytes;
}

export function utf8Bytes(value: string): number {
  return new TextEncoder().encode(value).byteLength;
}

/** The size Lambda counts for a set of variables: every key and value, in bytes. */
export function runtimeEnvBytes(vars: readonly Pick<EnvVar, 'key' | 'valueBytes' | 'targets'>[]): number {
  return vars.filter((v) => v.targets.includes('runtime')).reduce((sum, v) => sum + utf8Bytes(v.key) + v.valueBytes, 0);
}

export function assertRuntimeBudget(vars: readonly Pick<EnvVar, 'key' | 'valueBytes' | 'targets'>[]): void {
  const size = runtimeEnvBytes(vars);
  if (size + PLATFORM_ENV_RESERVE_BYTES > RUNTIME_ENV_LIMIT_BYTES) {
    throw new AnchorError({
      code: 'ENV_RUNTIME_TOO_LARGE',
      kind: 'usage',
      message: `The runtime environment would be ${size} bytes, and anchor's own variables need up to ${PLATFORM_ENV_RESERVE_BYTES} more; Lambda allows ${RUNTIME_ENV_LIMIT_BYTES} bytes for all variables together.`,
      hint: 'Keep large values out of the runtime env: mark build-only values with --target build, or store big config in a file or a database.',
      details: { size, reserved: PLATFORM_ENV_RESERVE_BYTES, limit: RUNTIME_ENV_LIMIT_BYTES },
    });
  }
}

export function parseTargets(value: string | undefined): EnvTarget[] {
  if (value === undefined || value.trim() === '') return ['build', 'runtime'];
  const parts = [...new Set(value.split(',').map((p) => p.trim()).filter(Boolean))];
  for (const p of parts) {
    if (!(ENV_TARGETS as readonly string[]).includes(p)) {
      throw new AnchorError({ code: 'ENV_TARGET_INVALID', kind: 'usage', message: `Unknown target "${p}".`, hint: 'Use --target build, --target runtime, or --target build,runtime.' });
    }
  }
  return parts as EnvTarget[];
}
