import type { Project } from '../project.js';

/** Which project a token belongs to: locally its id keys the row, on aws its name is in the SSM path. */
export type TokenOwner = Pick<Project, 'id' | 'name'>;

/**
 * A project's GitHub token: what clones its private repository and reports its deployments on
 * GitHub. Write-only from the outside: nothing lists tokens, and only the pipeline reads one.
 *
 * Contract:
 * - `get` returns the token last `set` for the project, or null when there is none.
 * - `set` replaces a token the project had; `remove` forgets it (harmless when there is none).
 * - The token is stored encrypted (the secret box locally, an SSM SecureString on aws).
 */
export interface RepoTokens {
  set(project: TokenOwner, token: string): Promise<void>;
  get(project: TokenOwner): Promise<string | null>;
  remove(project: TokenOwner): Promise<void>;
}
