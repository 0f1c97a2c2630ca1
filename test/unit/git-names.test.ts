import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertBranchName, assertDeployRef, isCommitSha, isValidBranchName, isValidRefName, parseRepoRoot } from '../../src/core/git-names.js';

/**
 * What git itself says of each name: `git check-ref-format [--branch] <name>` exits 0 for a valid
 * one. One shell runs git for the whole batch (NUL-separated names in, one exit code a line out).
 */
function gitAccepts(names: readonly string[], branch = false): boolean[] {
  const script = `while IFS= read -r -d '' name; do git check-ref-format ${branch ? '--branch ' : ''}"$name" >/dev/null 2>&1; echo $?; done`;
  const result = spawnSync('bash', ['-c', script], { cwd: '/', input: names.map((n) => `${n}\0`).join(''), encoding: 'utf8' });
  return result.stdout.trim().split('\n').map((code) => code === '0');
}

/** Every name where anchor and git disagree, with what git said. */
function disagreements(names: readonly string[], ours: (name: string) => boolean, branch = false): Array<{ name: string; git: boolean }> {
  const git = gitAccepts(names, branch);
  expect(git).toHaveLength(names.length);
  return names.flatMap((name, i) => (ours(name) === git[i] ? [] : [{ name, git: git[i] ?? false }]));
}

// Names built mostly from the characters the rules are about, so the runs hit the edges.
const refCharacter = fc.constantFrom('a', 'b', 'z', '0', '/', '/', '.', '.', '@', '{', '}', '-', '~', '^', ':', '?', '*', '[', ']', '\\', ' ', '\t', '\x7f', '\x01', 'l', 'o', 'c', 'k', 'é', '中');
const component = fc.array(fc.constantFrom('a', 'b', '0', '.', '-', '_', '@', 'l', 'o', 'c', 'k', 'é'), { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));
const refLike = fc.oneof(
  fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => `refs/heads/${parts.join('/')}`),
  fc.array(component, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
  fc.array(refCharacter, { maxLength: 14 }).map((chars) => chars.join('')),
  fc.array(refCharacter, { maxLength: 10 }).map((chars) => `refs/heads/${chars.join('')}`),
  fc.constantFrom('refs/heads/main.lock', 'refs/heads/.hidden', 'refs/heads/a..b', 'refs/heads/a@{1}', '@', 'refs//heads', 'refs/heads/', '/refs/heads/x', 'refs/heads/x.'),
);

describe('git ref names', () => {
  it('isValidRefName agrees with git check-ref-format', () => {
    // git's own command line reads a name starting with "-" as an option, so those are left out here.
    const names = fc.sample(refLike.filter((name) => !name.startsWith('-')), { numRuns: 300, seed: 10 });
    expect(disagreements(names, isValidRefName)).toEqual([]);
    // Both answers occur, so the comparison says something.
    expect(names.filter(isValidRefName).length).toBeGreaterThan(40);
  });

  it('isValidBranchName agrees with git check-ref-format --branch, and never lets an option through', () => {
    const names = fc.sample(refLike.filter((name) => name !== '@' && name !== ''), { numRuns: 300, seed: 11 });
    expect(disagreements(names, isValidBranchName, true)).toEqual([]);
    expect(names.filter(isValidBranchName).length).toBeGreaterThan(40);
    for (const option of ['--upload-pack=touch pwned', '-b', '-']) expect(isValidBranchName(option)).toBe(false);
  });

  it('a commit id is 40 or 64 lower-case hex digits', () => {
    expect(isCommitSha('a'.repeat(40))).toBe(true);
    expect(isCommitSha('0123456789abcdef'.repeat(4))).toBe(true);
    for (const bad of ['A'.repeat(40), 'a'.repeat(39), 'a'.repeat(41), 'a'.repeat(63), '--upload-pack=touch pwned;git-upload-pack', `${'a'.repeat(40)}\n`, 'main']) {
      expect(isCommitSha(bad), bad).toBe(false);
    }
  });

  it('refuses a branch or deploy ref git would read as an option, with a usage error', () => {
    expect(() => assertBranchName('--upload-pack=x')).toThrow(expect.objectContaining({ code: 'BRANCH_INVALID', kind: 'usage' }));
    expect(() => assertDeployRef('--upload-pack=x')).toThrow(expect.objectContaining({ code: 'REF_INVALID', kind: 'usage' }));
    expect(() => assertDeployRef('main..other')).toThrow(expect.objectContaining({ code: 'REF_INVALID' }));
    for (const ok of ['main', 'v1.2.0', 'refs/tags/v1', 'feature/x', '1a2b3c4', 'a'.repeat(40)]) expect(() => assertDeployRef(ok)).not.toThrow();
  });

  it('--root is a folder inside the repository', () => {
    expect(parseRepoRoot('')).toBe('');
    expect(parseRepoRoot('./apps/web/')).toBe('apps/web');
    expect(parseRepoRoot('apps\\web')).toBe('apps/web');
    for (const bad of ['..', '../other', 'apps/../../x', '/etc', 'C:\\x', '-x', 'a\u0000b']) {
      expect(() => parseRepoRoot(bad), bad).toThrow(expect.objectContaining({ code: 'ROOT_INVALID', kind: 'usage' }));
    }
  });
});
