import type { Octokit } from '@octokit/rest';
import { AnchorError, errorMessage } from '../../core/errors.js';
import type { RepoHooks } from '../../core/ports/repo-hooks.js';

type EnsureInput = Parameters<RepoHooks['ensurePushHook']>[0];

/** What @octokit/request throws (RequestError); read structurally so we need not import a transitive package. */
interface OctokitFailure {
  status: number;
  message: string;
  request?: { url?: string };
  response?: { data?: unknown };
}

function asOctokitFailure(error: unknown): OctokitFailure | null {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number' ? (error as unknown as OctokitFailure) : null;
}

/** GitHub's 422 messages, e.g. "Hook already exists on this repository". */
function validationMessages(failure: OctokitFailure): string[] {
  const data = failure.response?.data as { errors?: Array<{ message?: unknown } | string> } | undefined;
  return (data?.errors ?? []).map((e) => (typeof e === 'string' ? e : String(e.message ?? ''))).filter((m) => m !== '');
}

function isHookExists(error: unknown): boolean {
  const failure = asOctokitFailure(error);
  return failure?.status === 422 && validationMessages(failure).some((m) => /already exists/i.test(m));
}

function isStatus(error: unknown, status: number): boolean {
  return asOctokitFailure(error)?.status === status;
}

/**
 * Registers anchor's push webhook with the GitHub REST API. Idempotent: a hook that already
 * points at the same payload URL is updated in place (new secret, push events), never duplicated.
 */
export class OctokitRepoHooks implements RepoHooks {
  readonly #octokit: Octokit;

  constructor(deps: { octokit: Octokit }) {
    this.#octokit = deps.octokit;
  }

  async ensurePushHook(input: EnsureInput): Promise<{ hookId: number; created: boolean }> {
    try {
      if (input.hookId !== null) {
        try {
          await this.#update(input, input.hookId);
          return { hookId: input.hookId, created: false };
        } catch (error) {
          // The remembered hook was deleted on GitHub (404), or its URL is now taken by another
          // hook (422): register from scratch, which finds or creates the right one.
          if (!isStatus(error, 404) && !isHookExists(error)) throw error;
        }
      }
      try {
        const { data } = await this.#octokit.rest.repos.createWebhook({
          owner: input.owner,
          repo: input.repo,
          name: 'web',
          active: true,
          events: ['push'],
          config: this.#config(input),
        });
        return { hookId: data.id, created: true };
      } catch (error) {
        if (!isHookExists(error)) throw error;
      }
      const hooks = await this.#octokit.paginate(this.#octokit.rest.repos.listWebhooks, { owner: input.owner, repo: input.repo, per_page: 100 });
      const existing = hooks.find((hook) => hook.config.url === input.url);
      if (!existing) {
        throw new AnchorError({
          code: 'GITHUB_HOOK_CONFLICT',
          kind: 'conflict',
          message: `GitHub says a webhook for ${input.url} already exists on ${input.owner}/${input.repo}, but it is not in the repository's hook list.`,
          hint: `Check the repository's Settings → Webhooks on GitHub, then run the command again.`,
        });
      }
      await this.#update(input, existing.id);
      return { hookId: existing.id, created: false };
    } catch (error) {
      throw toAnchorError(error, input);
    }
  }

  async #update(input: EnsureInput, hookId: number): Promise<void> {
    await this.#octokit.rest.repos.updateWebhook({
      owner: input.owner,
      repo: input.repo,
      hook_id: hookId,
      active: true,
      events: ['push'],
      // GitHub replaces the whole config on update (a config without `secret` removes it), so send all of it.
      config: this.#config(input),
    });
  }

  #config(input: EnsureInput): { url: string; content_type: string; secret: string; insecure_ssl: string } {
    return { url: input.url, content_type: 'json', secret: input.secret, insecure_ssl: '0' };
  }
}

function toAnchorError(error: unknown, input: EnsureInput): AnchorError {
  if (error instanceof AnchorError) return error;
  const failure = asOctokitFailure(error);
  const target = `${input.owner}/${input.repo}`;
  if (!failure) {
    return new AnchorError({ code: 'GITHUB_HOOK_FAILED', kind: 'internal', message: `Registering the webhook on ${target} failed: ${errorMessage(error)}`, cause: error });
  }
  // @octokit/request reports a connection failure as status 500 with no response.
  if (failure.response === undefined) {
    const url = failure.request?.url ?? '';
    const origin = URL.canParse(url) ? new URL(url).origin : 'the GitHub API';
    return new AnchorError({
      code: 'GITHUB_UNREACHABLE',
      kind: 'external',
      message: `Could not reach GitHub at ${origin}: ${failure.message}`,
      hint: 'Check the network connection (and the GitHub API URL, for GitHub Enterprise), then run the command again.',
      details: { url },
      cause: error,
    });
  }
  switch (failure.status) {
    case 401:
      return new AnchorError({
        code: 'GITHUB_AUTH',
        kind: 'auth',
        message: `GitHub rejected the token (401 Bad credentials) while registering the webhook on ${target}.`,
        hint: 'check --github-token / GITHUB_TOKEN; it needs the admin:repo_hook scope',
        cause: error,
      });
    case 403:
      return new AnchorError({
        code: 'GITHUB_FORBIDDEN',
        kind: 'auth',
        message: `GitHub refused to manage webhooks on ${target} (403: ${failure.message}).`,
        hint: 'The token needs admin access to the repository: the admin:repo_hook scope, or "Webhooks: read and write" for a fine-grained token. If the message mentions a rate limit, wait and retry.',
        cause: error,
      });
    case 404:
      return new AnchorError({
        code: 'GITHUB_REPO_NOT_FOUND',
        kind: 'not-found',
        message: `GitHub repository ${target} was not found, or the token may not manage its webhooks.`,
        hint: `Check the owner/name in --repo, and that the token can see ${target} and has the admin:repo_hook scope (GitHub answers 404, not 403, to a token without access).`,
        cause: error,
      });
    case 422: {
      const reasons = validationMessages(failure);
      return new AnchorError({
        code: 'GITHUB_HOOK_REJECTED',
        kind: 'usage',
        message: `GitHub rejected the webhook for ${input.url} on ${target}: ${reasons.length > 0 ? reasons.join('; ') : failure.message}.`,
        hint: 'GitHub only delivers to a public http(s) URL; for a local server, expose it through a tunnel and use that public URL.',
        details: { reasons },
        cause: error,
      });
    }
    default:
      return new AnchorError({
        code: 'GITHUB_API_ERROR',
        kind: 'external',
        message: `GitHub answered ${failure.status} while registering the webhook on ${target}: ${failure.message}`,
        hint: 'GitHub may be having trouble (https://www.githubstatus.com); run the command again in a moment.',
        cause: error,
      });
  }
}
