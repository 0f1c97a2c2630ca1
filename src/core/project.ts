import { AnchorError } from './errors.js';

export interface Project {
  /** A DNS label: it becomes `<name>.localhost` locally and a subdomain later. */
  name: string;
  /** Stable id used in webhook URLs: `p_<random>`. */
  id: string;
  repo: RepoRef;
  branch: string;
  /** Directory of the Next.js app inside the repo ('' for the root). */
  root: string;
  /** Sealed webhook secret (SecretBox output). */
  webhookSecret: string;
  /** During a rotation window the previous secret is accepted too. */
  previousWebhookSecret: string | null;
  /** Hook id on GitHub when anchor registered it, for updates. */
  githubHookId: number | null;
  /** How big a machine builds it (CodeBuild's compute type on aws); absent: the platform's default. */
  buildSize?: BuildSize;
  createdAt: string;
}

/** Build machine sizes: CodeBuild small (4 GB, 2 vCPU), medium (8 GB, 4 vCPU), large (16 GB, 8 vCPU). */
export const BUILD_SIZES = ['small', 'medium', 'large'] as const;
export type BuildSize = (typeof BUILD_SIZES)[number];

export function parseBuildSize(value: string): BuildSize {
  if ((BUILD_SIZES as readonly string[]).includes(value)) return value as BuildSize;
  throw new AnchorError({
    code: 'BUILD_SIZE_INVALID',
    kind: 'usage',
    message: `"${value}" is not a build size.`,
    hint: 'Use --build-size small (4 GB), medium (8 GB) or large (16 GB); a build that runs out of memory needs a bigger one.',
  });
}

export type RepoRef =
  | { kind: 'path'; url: string }
  | { kind: 'git'; url: string }
  | { kind: 'github'; owner: string; name: string; url: string };

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function assertProjectName(name: string): void {
  if (!DNS_LABEL.test(name)) {
    throw new AnchorError({
      code: 'PROJECT_NAME_INVALID',
      kind: 'usage',
      message: `"${name}" is not a valid project name: it becomes the host name ${name}.localhost, so it must be a DNS label.`,
      hint: 'Use 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit (e.g. "shop" or "my-site").',
    });
  }
}

const GITHUB_SLUG = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/**
 * Accepts a local path (absolute or relative, resolved by the caller), a file:// or https:// git
 * URL, or a GitHub `owner/name`. `isLocalPath` tells whether a slug-looking value names an existing
 * directory, which wins over the GitHub reading.
 */
export function parseRepo(value: string, resolvePath: (p: string) => string | null): RepoRef {
  const trimmed = value.trim();
  // The URL reaches git as an argument: nothing git could read as an option (a folder named
  // "-x" is passed as ./-x), no control characters, and no spaces in a URL.
  // eslint-disable-next-line no-control-regex
  if (trimmed.startsWith('-') || /[\x00-\x1f\x7f]/.test(trimmed)) throw repoInvalid(value);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) && /\s/.test(trimmed)) throw repoInvalid(value);
  if (trimmed.startsWith('https://') || trimmed.startsWith('http://')) {
    const gh = /^https?:\/\/github\.com\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(trimmed);
    if (gh?.[1] && gh[2]) return { kind: 'github', owner: gh[1], name: gh[2], url: `https://github.com/${gh[1]}/${gh[2]}.git` };
    return { kind: 'git', url: trimmed };
  }
  if (trimmed.startsWith('file://')) return { kind: 'git', url: trimmed };
  const local = resolvePath(trimmed);
  if (local) return { kind: 'path', url: local };
  const slug = GITHUB_SLUG.exec(trimmed);
  if (slug?.[1] && slug[2] && !trimmed.startsWith('.')) {
    return { kind: 'github', owner: slug[1], name: slug[2].replace(/\.git$/, ''), url: `https://github.com/${slug[1]}/${slug[2].replace(/\.git$/, '')}.git` };
  }
  throw repoInvalid(value);
}

function repoInvalid(value: string): AnchorError {
  return new AnchorError({
    code: 'REPO_INVALID',
    kind: 'usage',
    message: `--repo "${value}" is neither an existing directory, a file:// or https:// git URL, nor a GitHub owner/name.`,
    hint: 'Pass e.g. --repo ./my-site, --repo https://github.com/acme/shop.git or --repo acme/shop.',
  });
}

export function describeRepo(repo: RepoRef): string {
  return repo.kind === 'github' ? `${repo.owner}/${repo.name}` : repo.url;
}

/**
 * A GitHub token as anchor stores it: one line of visible ASCII (a classic `ghp_…`, a fine-grained
 * `github_pat_…`, an app's `ghs_…`). Anything else is a paste gone wrong; the message never repeats it.
 */
export function assertGitHubToken(token: string): void {
  if (!/^[\x21-\x7e]{8,512}$/.test(token)) {
    throw new AnchorError({
      code: 'GITHUB_TOKEN_INVALID',
      kind: 'usage',
      message: `The GitHub token given is not one: a token is 8 to 512 visible characters on one line, with no spaces (this one has ${token.length} characters).`,
      hint: 'Create a token that can read the repository (and write deployments and commit statuses), put it in an environment variable, and pass its name: --github-token-env VAR.',
    });
  }
}
