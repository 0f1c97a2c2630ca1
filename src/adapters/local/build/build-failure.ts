import { diskFullReason } from '../../../core/failure-reasons.js';
import { stripAnsi } from '../../../lib/line-splitter.js';
import { DISK_FULL_LINE } from '../../../lib/storage-errors.js';
import type { StepResult } from './build-processes.js';

/**
 * A build step failed; `reason` is what the deployment shows, so a person can act on it.
 * `repository`: the repository could not be fetched at all (BuildEnd's `repository`).
 */
export class BuildFailure extends Error {
  override readonly name = 'BuildFailure';
  constructor(
    readonly reason: string,
    readonly repository = false,
  ) {
    super(reason);
  }
}

/** The build was stopped from outside; not a failure of the code being built. */
export class BuildStopped extends Error {
  override readonly name = 'BuildStopped';
}

/** "npm ci failed (exit 1): <the line that says why>"; "disk full: …" when that is why. */
export function stepFailureReason(label: string, result: StepResult): string {
  const how = result.spawnError !== null ? `could not start: ${result.spawnError}` : result.signal !== null ? `killed by ${result.signal}` : `exit ${String(result.exitCode)}`;
  const full = result.tail.findLast((raw) => DISK_FULL_LINE.test(raw));
  if (full !== undefined) return diskFullReason(`${label} could not write (${how}): ${stripAnsi(full).trim().slice(0, 300)}; free space on the build machine and push again`);
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
const WRAPPER_FAILED = /^Error: Command failed: (npm|pnpm|yarn|bun|npx)\b/;
const LOCATION = /^\.{0,2}\/?[\w@./[\]()-]+:\d+(:\d+)?$/;
const ERRORISH = /\b(error|err!|failed|fatal|cannot|can't|couldn't|not found|missing|denied|enoent|unexpected|invalid|exception)\b/i;

/**
 * The line most likely to explain a failure: the last one that reads like an error, after
 * dropping tool boilerplate (npm's "npm error" prefix, log-file pointers, stack frames). When a
 * wrapper reports that the command it ran failed (OpenNext: "Error: Command failed: npm run
 * build" and a stack dump), the wrapped command's own error before it is the one that matters.
 * A "file:line:col" line right before the error is kept with it.
 */
export function lastErrorLine(tail: readonly string[]): string | null {
  let lines = withoutThrowSites(tail.map((raw) => stripAnsi(raw).replace(/^npm (ERR!|error)\s*/, '').trim()))
    .filter((line) => !NOISE.some((noise) => noise.test(line)));
  const wrapper = lines.findLastIndex((line) => WRAPPER_FAILED.test(line));
  if (wrapper > 0) lines = lines.slice(0, wrapper);
  let index = lines.findLastIndex((line) => ERRORISH.test(line));
  if (index === -1) index = lines.length - 1;
  const chosen = lines[index];
  if (chosen === undefined) return null;
  const before = lines[index - 1];
  const line = before !== undefined && LOCATION.test(before) ? `${before}: ${chosen}` : chosen;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/**
 * Node prints an uncaught error as "<file>:<line>", the source line that threw, a caret line,
 * then the error. The source line is code, not a message: drop those three lines.
 */
function withoutThrowSites(lines: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (/^(node:internal\/|file:\/\/|\/)\S*:\d+$/.test(line) && /^\^+$/.test(lines[i + 2] ?? '')) {
      i += 2;
      continue;
    }
    kept.push(line);
  }
  return kept;
}
