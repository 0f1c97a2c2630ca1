import { stripAnsi } from './line-splitter.js';
import type { StepResult } from './build-processes.js';

/** A build step failed; `reason` is what the deployment shows, so a person can act on it. */
export class BuildFailure extends Error {
  override readonly name = 'BuildFailure';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The build was stopped from outside; not a failure of the code being built. */
export class BuildStopped extends Error {
  override readonly name = 'BuildStopped';
}

/** "npm ci failed (exit 1): <the line that says why>". */
export function stepFailureReason(label: string, result: StepResult): string {
  const how = result.spawnError !== null ? `could not start: ${result.spawnError}` : result.signal !== null ? `killed by ${result.signal}` : `exit ${String(result.exitCode)}`;
  const line = lastErrorLine(result.tail);
  return line === null ? `${label} failed (${how})` : `${label} failed (${how}): ${line}`;
}

// Lines that tools print after the real error and that say nothing about it.
const NOISE = [
  /^$/,
  /^npm warn/i,
  /^warn(ing)?\b/i,
  /complete log of this run can be found/i,
  /^Run "npm help/,
  /^(code|errno|syscall|path|signal|dest|command) /,
  /^at /,
  /^node:internal/,
  /^Node\.js v\d/,
  /^\^+$/,
  /^[{}]$/,
  /^info Visit https:\/\/yarnpkg/,
  /^ELIFECYCLE/,
];
const ERRORISH = /\b(error|err!|failed|fatal|cannot|can't|couldn't|not found|missing|denied|enoent|unexpected|invalid|exception)\b/i;

/**
 * The line most likely to explain a failure: the last one that reads like an error, after
 * dropping tool boilerplate (npm's "npm error" prefix, log-file pointers, stack frames).
 */
export function lastErrorLine(tail: readonly string[]): string | null {
  const lines = tail
    .map((raw) => stripAnsi(raw).replace(/^npm (ERR!|error)\s*/, '').trim())
    .filter((line) => !NOISE.some((noise) => noise.test(line)));
  const errorish = lines.findLast((line) => ERRORISH.test(line));
  const chosen = errorish ?? lines.at(-1) ?? null;
  return chosen === null ? null : chosen.length > 500 ? `${chosen.slice(0, 500)}…` : chosen;
}
