import { describe, expect, it } from 'vitest';
import { checkoutCommit, type RunGit } from '../../src/adapters/local/build/git-checkout.js';
import { BuildFailure } from '../../src/adapters/local/build/build-failure.js';

/** git that succeeds at everything but fetching, which fails with `lines` (as git prints them). */
function gitFailingFetch(lines: string[]): RunGit {
  return async (args) => (args[0] === 'fetch' ? { exitCode: 128, signal: null, spawnError: null, tail: lines } : { exitCode: 0, signal: null, spawnError: null, tail: [] });
}

async function fetchFailure(lines: string[]): Promise<BuildFailure> {
  const error = await checkoutCommit(gitFailingFetch(lines), { repoDir: '/nowhere', repoUrl: 'https://github.com/acme/shop.git', ref: 'main', commitSha: '0123456789abcdef0123456789abcdef01234567' }).catch((e: unknown) => e);
  if (!(error instanceof BuildFailure)) throw new Error(`expected a BuildFailure, got ${String(error)}`);
  return error;
}

// A failure of the repository fails every push of the project alike; one of a commit or branch does not.
describe('checkoutCommit: which fetch failures are the repository\'s', () => {
  it('a host that cannot be reached, a refused login or a missing repository', async () => {
    for (const line of [
      "fatal: unable to access 'https://github.com/acme/shop.git/': Could not resolve host: github.com",
      "fatal: unable to access 'https://github.com/acme/shop.git/': Failed to connect to github.com port 443 after 129 ms: Connection refused",
      "fatal: unable to access 'https://github.com/acme/shop.git/': The requested URL returned error: 403",
      "fatal: Authentication failed for 'https://github.com/acme/shop.git/'",
      "remote: Repository not found.",
    ]) {
      expect((await fetchFailure([line])).repository, line).toBe(true);
    }
  });

  it('not a branch that is gone, nor a failure git does not explain', async () => {
    const branch = await fetchFailure(["fatal: couldn't find remote ref refs/heads/main"]);
    expect(branch).toMatchObject({ repository: false, reason: 'git fetch failed: branch or ref "main" not found in https://github.com/acme/shop.git' });
    expect((await fetchFailure(['error: something else went wrong'])).repository).toBe(false);
  });
});
