import type { Context } from '../cli/context.js';
import { AnchorError } from '../core/errors.js';
import { assertGitHubToken } from '../core/project.js';

/**
 * A project's GitHub token from the command line, never as a flag's value (that would land in
 * shell history and in `ps`): `--github-token-env VAR` names the environment variable holding
 * it, or, on a terminal, anchor asks for it without echoing. Returns null when none was given and
 * `ask` is false.
 */
export async function projectTokenFromFlags(ctx: Context, options: Record<string, unknown>, ask: boolean): Promise<string | null> {
  const variable = options.githubTokenEnv;
  if (typeof variable === 'string') {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      throw new AnchorError({
        code: 'FLAG_INVALID',
        kind: 'usage',
        message: `--github-token-env takes the name of an environment variable, not "${variable.length > 40 ? `${variable.slice(0, 4)}…` : variable}".`,
        hint: 'Put the token in a variable and pass its name: export SHOP_GITHUB_TOKEN=… then --github-token-env SHOP_GITHUB_TOKEN.',
      });
    }
    const value = ctx.env.variable(variable)?.trim();
    if (!value) {
      throw new AnchorError({
        code: 'GITHUB_TOKEN_ENV_EMPTY',
        kind: 'usage',
        message: `--github-token-env ${variable}: the environment variable ${variable} is not set (or empty).`,
        hint: `Set it in this shell first (export ${variable}=…, or read it from your password manager), then run the command again.`,
      });
    }
    assertGitHubToken(value);
    return value;
  }
  if (!ask) return null;
  const typed = (await ctx.prompter.password('GitHub token for this project (it is stored encrypted and never shown again)', '--github-token-env VAR')).trim();
  assertGitHubToken(typed);
  return typed;
}
