import { AnchorError } from './errors.js';

/**
 * Names that reach git from outside (a push's ref and commits, `--branch`, `--ref`, `--root`).
 * Each is checked where it enters the core, so nothing git reads as an option (`--upload-pack=…`)
 * or as a path outside the checkout can get that far.
 */

/** A full commit id as git prints it: 40 hex digits (SHA-1) or 64 (SHA-256 repositories), lower case. */
const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isCommitSha(value: string): boolean {
  return COMMIT_SHA.test(value);
}

// Rule 4 and 5 of git-check-ref-format(1), plus the backslash (rule 10): control characters,
// DEL, space, ~ ^ : ? * [ and \ are never part of a ref name.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTERS = /[\x00-\x20\x7f~^:?*[\\]/;

/**
 * `git check-ref-format <name>`: a full ref name such as `refs/heads/main`. Written from the
 * rules in git-check-ref-format(1) (and git's refs.c), and checked against git itself by a
 * property test.
 */
export function isValidRefName(name: string): boolean {
  if (name === '@' || !name.includes('/')) return false;
  if (name.endsWith('.') || name.includes('..') || name.includes('@{')) return false;
  if (FORBIDDEN_CHARACTERS.test(name)) return false;
  // Empty components are a leading, trailing or doubled slash.
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** `git check-ref-format --branch <name>`: the name of a branch (without refs/heads/). */
export function isValidBranchName(name: string): boolean {
  return !name.startsWith('-') && name !== 'HEAD' && name !== '@' && isValidRefName(`refs/heads/${name}`);
}

export function assertBranchName(branch: string, flag = '--branch'): void {
  if (isValidBranchName(branch)) return;
  throw new AnchorError({
    code: 'BRANCH_INVALID',
    kind: 'usage',
    message: `${flag} "${printable(branch)}" is not a git branch name.`,
    hint: `Pass the branch to deploy from, e.g. ${flag} main (git's rules: no spaces, no leading "-", no "..", "~", "^", ":", "?", "*", "[" or "\\").`,
  });
}

/**
 * What `anchor deploy --ref` takes: a branch, a tag, a full ref (refs/tags/v1) or a commit id.
 * A ref never starts with "-", so git can never read it as an option.
 */
export function assertDeployRef(ref: string): void {
  const asRef = ref.startsWith('refs/') ? ref : `refs/anchor/${ref}`;
  if (!ref.startsWith('-') && ref !== '@' && isValidRefName(asRef)) return;
  throw new AnchorError({
    code: 'REF_INVALID',
    kind: 'usage',
    message: `--ref "${printable(ref)}" is not a git branch, tag or commit.`,
    hint: 'Pass a branch, tag or commit, e.g. --ref main, --ref v1.2.0 or --ref 1a2b3c4d…',
  });
}

/**
 * `--root`: the app's folder inside the repository, relative ('' for the repository's root).
 * Normalised to forward slashes without `./` or a trailing slash.
 */
export function parseRepoRoot(root: string): string {
  const parts = root.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
  // eslint-disable-next-line no-control-regex
  const bad = root.startsWith('/') || root.startsWith('-') || /^[A-Za-z]:/.test(root) || parts.includes('..') || /[\x00-\x1f\x7f]/.test(root);
  if (!bad) return parts.join('/');
  throw new AnchorError({
    code: 'ROOT_INVALID',
    kind: 'usage',
    message: `--root "${printable(root)}" is not a folder inside the repository.`,
    hint: 'Pass the app\'s folder relative to the repository\'s root, without ".." (e.g. --root apps/web), or leave it out for the root.',
  });
}

/** A value for a message: control characters shown as escapes, long ones cut. */
function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  const shown = value.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 120 ? `${shown.slice(0, 120)}…` : shown;
}
