import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GIT_CREDENTIAL_ARGS, GIT_TOKEN_VARIABLE, isGitAuthFailure } from '../../../core/git-credentials.js';
import { isCommitSha } from '../../../core/git-names.js';
import { BuildFailure, lastErrorLine, stepFailureReason } from './build-failure.js';
import type { StepResult } from './build-processes.js';

/** Runs git with the given arguments in `cwd`; `quiet` keeps its output out of the build log. */
export type RunGit = (args: string[], options: { cwd: string; quiet?: boolean }) => Promise<StepResult>;

export interface CheckedOut {
  commitSha: string;
  commitMessage: string | null;
}

/**
 * Fetches exactly one commit into the empty directory `repoDir`: the `commitSha` when given,
 * else the head of `ref`. Shallow (depth 1) where the server allows it; a commit that cannot be
 * fetched by itself is looked for in the full history of `ref`.
 */
export async function checkoutCommit(
  git: RunGit,
  input: { repoDir: string; repoUrl: string; ref: string; commitSha: string | null; auth?: { projectName: string; withToken: boolean } },
): Promise<CheckedOut> {
  const { repoDir, ref, commitSha } = input;
  const url = remoteUrl(input.repoUrl);
  // The core checked each value where it came in; still, every value from outside follows
  // --end-of-options, so git can never read one as an option (--upload-pack=…).
  if (commitSha !== null && !isCommitSha(commitSha)) throw new BuildFailure(`git checkout failed: "${commitSha}" is not a commit id`);
  await must(git(['init', '--quiet', '--end-of-options', repoDir], { cwd: '/', quiet: true }), 'git init');
  await must(git(['remote', 'add', '--end-of-options', 'origin', url], { cwd: repoDir, quiet: true }), 'git remote add');

  if (commitSha !== null) {
    const direct = await git(['fetch', '--depth', '1', '--no-tags', '--end-of-options', 'origin', commitSha], { cwd: repoDir });
    if (direct.exitCode !== 0) {
      const branch = await git(['fetch', '--no-tags', '--end-of-options', 'origin', `+refs/heads/${ref}:refs/remotes/origin/${ref}`], { cwd: repoDir });
      if (branch.exitCode !== 0) throw fetchFailure(branch, ref, input);
      const found = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${commitSha}^{commit}`], { cwd: repoDir, quiet: true });
      if (found.exitCode !== 0) throw new BuildFailure(`git checkout failed: commit ${commitSha} not found on branch ${ref}`);
    }
    const target = direct.exitCode === 0 ? 'FETCH_HEAD' : `${commitSha}^{commit}`;
    await must(git(['checkout', '--quiet', '--detach', target], { cwd: repoDir }), 'git checkout');
  } else {
    const fetched = await git(['fetch', '--depth', '1', '--no-tags', '--end-of-options', 'origin', ref], { cwd: repoDir });
    if (fetched.exitCode !== 0) throw fetchFailure(fetched, ref, input);
    await must(git(['checkout', '--quiet', '--detach', 'FETCH_HEAD'], { cwd: repoDir }), 'git checkout');
  }

  const sha = await must(git(['rev-parse', 'HEAD'], { cwd: repoDir, quiet: true }), 'git rev-parse');
  const subject = await git(['log', '-1', '--format=%s'], { cwd: repoDir, quiet: true });
  const message = subject.exitCode === 0 ? (subject.tail.find((line) => line.trim() !== '') ?? null) : null;
  return { commitSha: (sha.tail[0] ?? '').trim(), commitMessage: message };
}

/** A URL with its password or token replaced, for log lines. */
export function redactUrl(repoUrl: string): string {
  return repoUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i, '$1***@');
}

/** Local paths become file:// URLs: git ignores --depth for a plain path. */
function remoteUrl(repoUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repoUrl) || /^[^/]+@[^/]+:/.test(repoUrl)) return repoUrl;
  return pathToFileURL(isAbsolute(repoUrl) ? repoUrl : resolve(repoUrl)).href;
}

/** How git talks of a repository it cannot reach at all (DNS, TCP, TLS, an HTTP error). */
const UNREACHABLE = /could not resolve host|failed to connect|connection (timed out|refused|reset)|unable to access|could not read from remote repository|network is unreachable|ssl|the requested url returned error/i;

/** Why a fetch failed; `repository` when the repository itself could not be fetched, not just this commit or branch. */
function fetchFailure(result: StepResult, ref: string, input: { repoUrl: string; auth?: { projectName: string; withToken: boolean } }): BuildFailure {
  const repoUrl = input.repoUrl;
  const line = lastErrorLine(result.tail) ?? '';
  if (result.tail.some(isGitAuthFailure)) return new BuildFailure(authReason(redactUrl(repoUrl), input.auth), true);
  if (/couldn't find remote ref/i.test(line)) return new BuildFailure(`git fetch failed: branch or ref "${ref}" not found in ${redactUrl(repoUrl)}`);
  if (/does not appear to be a git repository|repository .* not found|not found/i.test(line)) {
    return new BuildFailure(`git fetch failed: repository ${redactUrl(repoUrl)} not found or not readable (${line})`, true);
  }
  return new BuildFailure(stepFailureReason('git fetch', result), result.tail.some((l) => UNREACHABLE.test(l)));
}

async function must(pending: Promise<StepResult>, label: string): Promise<StepResult> {
  const result = await pending;
  if (result.exitCode !== 0) throw new BuildFailure(stepFailureReason(label, result));
  return result;
}

/** A repository that wants credentials: say which way to fix it, never what was sent. */
export function authReason(shownUrl: string, auth: { projectName: string; withToken: boolean } | undefined): string {
  const project = auth?.projectName ?? '<project>';
  return auth?.withToken
    ? `git fetch failed: ${shownUrl} refused the project's GitHub token: check that it is still valid and may read the repository (Contents: read), then set it again with "anchor projects set-token ${project} --github-token-env VAR"`
    : `git fetch failed: ${shownUrl} asks for credentials (a private repository, or a wrong URL): give the project a GitHub token that may read it with "anchor projects set-token ${project} --github-token-env VAR"`;
}

/**
 * What git's steps add for a project's token: the variable anchor's credential helper reads, and
 * the arguments that install that helper alone. The token reaches the clone's git processes and
 * nothing else: not the install or build steps, not a file in the build's reach.
 */
export function tokenForGit(token: string | null): { env: Record<string, string>; args: readonly string[] } {
  return token === null ? { env: {}, args: [] } : { env: { [GIT_TOKEN_VARIABLE]: token }, args: GIT_CREDENTIAL_ARGS };
}
