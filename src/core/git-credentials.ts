/**
 * How both builders hand a project's GitHub token to git, and to git only: a credential helper
 * given on git's command line that prints the token from one environment variable, which only
 * the clone's git processes get. Nothing is written where the build could read it back: the
 * remote URL carries no token, and the helpers of any git config (e.g. `credential.helper=store`,
 * which would save the token in ~/.git-credentials) are switched off for that command.
 */
export const GIT_TOKEN_VARIABLE = 'ANCHOR_GIT_TOKEN';

/** GitHub takes any user name with a token as the password; this one is what its docs use for app tokens. */
const HELPER = `!f() { test "$1" = get && test -n "$${GIT_TOKEN_VARIABLE}" && printf 'username=x-access-token\\npassword=%s\\n' "$${GIT_TOKEN_VARIABLE}"; }; f`;

/** Arguments before git's subcommand: no configured helper, then anchor's. */
export const GIT_CREDENTIAL_ARGS: readonly string[] = ['-c', 'credential.helper=', '-c', `credential.helper=${HELPER}`];

/** What git prints when a server wants credentials it did not get, or refused the ones it got. */
export function isGitAuthFailure(line: string): boolean {
  return /could not read (username|password)|authentication failed|terminal prompts disabled|HTTP Basic: Access denied|returned error: 40[13]|invalid username or password/i.test(line);
}
