/** The one place the CLI reads process.env (STYLE.md rule 11). Everything else gets a CliEnv. */
export interface CliEnv {
  home: string;
  anchorHome: string | undefined;
  anchorPlatform: string | undefined;
  noColor: boolean;
  ci: boolean;
  githubToken: string | undefined;
  githubApiUrl: string | undefined;
  /** How often CloudFormation is asked for news while a stack changes (ANCHOR_AWS_POLL_MS, default 3000). */
  awsPollMs: number;
  /** A directory of prebuilt handler zips (<name>.zip) to upload instead of bundling with esbuild (ANCHOR_HANDLER_BUNDLES). */
  handlerBundles: string | undefined;
  /** DNS servers to ask instead of the system's, host:port, comma-separated (ANCHOR_DNS_SERVERS; tests point at their own). */
  dnsServers: string[] | undefined;
  /** Variables a child process (a build, a git clone) needs to run at all, never AWS_* ones. */
  baseEnv: Record<string, string>;
  /** A variable the user named on the command line (`--github-token-env VAR`), read only when asked. */
  variable(name: string): string | undefined;
}

const PASSED_TO_CHILDREN = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'SHELL', 'TERM', 'npm_config_registry', 'NPM_CONFIG_REGISTRY', 'npm_config_cache', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'GIT_SSH_COMMAND'];

export function readCliEnv(source: Record<string, string | undefined> = process.env): CliEnv {
  const baseEnv: Record<string, string> = {};
  for (const key of PASSED_TO_CHILDREN) {
    const value = source[key];
    if (value !== undefined) baseEnv[key] = value;
  }
  return {
    home: source.HOME ?? source.USERPROFILE ?? '/',
    anchorHome: nonEmpty(source.ANCHOR_HOME),
    anchorPlatform: nonEmpty(source.ANCHOR_PLATFORM),
    noColor: source.NO_COLOR !== undefined && source.NO_COLOR !== '',
    ci: isTruthy(source.CI),
    githubToken: nonEmpty(source.GITHUB_TOKEN),
    githubApiUrl: nonEmpty(source.ANCHOR_GITHUB_API_URL),
    awsPollMs: Math.max(0, Number(source.ANCHOR_AWS_POLL_MS ?? '3000') || 0),
    handlerBundles: nonEmpty(source.ANCHOR_HANDLER_BUNDLES),
    dnsServers: nonEmpty(source.ANCHOR_DNS_SERVERS)?.split(',').map((s) => s.trim()).filter(Boolean),
    baseEnv,
    variable: (name) => nonEmpty(source[name]),
  };
}

const AWS_SDK_NODE_WARNING = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * The AWS SDK warns on every run under Node 20 that its future versions will need Node 22: noise
 * for an operator, who can do nothing about it mid-command. The SDK reads the switch from
 * process.env when a client is made, so this runs before any command (every SDK import is lazy).
 * A value the operator set, even "false", is left alone.
 */
export function silenceAwsSdkNodeWarning(target: Record<string, string | undefined> = process.env): void {
  if (target[AWS_SDK_NODE_WARNING] === undefined) target[AWS_SDK_NODE_WARNING] = 'true';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
