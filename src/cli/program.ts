import { Command, Option, type OutputConfiguration } from 'commander';
import type { Context } from './context.js';

/** A command module: wiring only (STYLE.md rule 3). Loaded when its command runs, never for --help. */
export interface CommandModule {
  default(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void>;
}

type Loader = () => Promise<CommandModule>;
type ContextFactory = (globals: Record<string, unknown>) => Context;
type Action = (load: Loader) => (...received: unknown[]) => Promise<void>;

/**
 * Builds the commander program. Definitions only: each action imports its command file on demand,
 * so `anchor --help` loads no SQLite, AWS SDK or OpenNext. Given the command line, only the
 * top-level command it names is defined (its help and errors are the same); the whole program
 * for anything else (no command, `help`, a word anchor does not know).
 */
export function buildProgram(makeContext: ContextFactory, onContext: (ctx: Context) => void, output: OutputConfiguration, argv?: readonly string[]): Command {
  // Set before any subcommand is added: commander copies these settings into each one.
  const program = new Command('anchor')
    .exitOverride()
    .configureOutput(output)
    .description('Push-to-deploy for Next.js on infrastructure you own.')
    .version('0.1.0', '-v, --version')
    .option('--json', 'print the result as one JSON document on stdout')
    .option('-y, --yes', 'answer yes to confirmations (needed when not interactive)')
    .option('--platform <name>', 'the platform to use (default: ANCHOR_PLATFORM, then the one set by init)')
    .option('--verbose', 'print more detail')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });

  const action: Action =
    (load) =>
    async (...received: unknown[]): Promise<void> => {
      const command = received[received.length - 1] as Command;
      const options = command.opts();
      const args = received.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a : a === undefined ? [] : [String(a)]));
      const ctx = makeContext(command.optsWithGlobals());
      ctx.commandName = commandPath(command);
      onContext(ctx);
      const module = await load();
      await module.default(ctx, args, options);
    };

  const word = argv === undefined ? undefined : commandWord(argv);
  const only = word !== undefined && Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
  for (const define of only ? [only] : Object.values(COMMANDS)) define(program, action);

  return program;
}

/** The top-level commands, each defined by its own function (the order of `anchor --help`). */
// size-check: data (the command table: one definition after another, each action a lazy import)
const COMMANDS: Readonly<Record<string, (program: Command, action: Action) => void>> = {
  init: (program, action) => {
    program
      .command('init')
      .description('set up a platform: local (this machine) or aws (your AWS account)')
      .addOption(new Option('--local', 'one machine: SQLite, files, child processes').conflicts('aws'))
      .addOption(new Option('--aws', 'your AWS account (CloudFormation)').conflicts('local'))
      .option('--region <region>', 'AWS region', 'ap-southeast-1')
      .option('--stage <stage>', 'AWS stage name', 'dev')
      .option('--print-template', 'with --aws: print the platform CloudFormation template and change nothing')
      .option('--project <name>', 'with --print-template: print that project\'s stack template instead (platform buckets as parameters)')
      .option('--port <port>', 'port of "anchor server" on a local platform', '8080')
      .option('--host <host>', 'address "anchor server" listens on', '127.0.0.1')
      .option('--public-url <url>', 'where visitors and GitHub reach "anchor server" (e.g. https://anchor.example.com): webhook URLs and custom domains use it')
      .action(action(() => import('../commands/init.js')));
  },
  server: (program, action) => {
    program
      .command('server')
      .description('run the local platform: webhook receiver, build worker and the edge for *.localhost sites')
      .option('--port <port>', 'port to listen on (default: the platform\'s, 8080)')
      .option('--host <host>', 'address to listen on (default: the platform\'s, 127.0.0.1)')
      .option('--concurrency <n>', 'builds that may run at once', '2')
      .option('--build-timeout <minutes>', 'stop and fail a build that runs longer', '30')
      .option('--build-dir <dir>', 'where builds unpack and compile (default: in memory, /dev/shm, when it has room; else on disk)')
      .option('--function-timeout <seconds>', 'answer 504 when a site has not answered a request by then (default: Lambda\'s, 30 s; 25 s for images)')
      .option('--idle-stop <duration>', 'stop a site\'s function processes after this long without requests (e.g. 15m, 30s, 1h; 0 or off: never)', '15m')
      .option('--isolation <how>', 'how builds and sites are kept from the platform: auto, uid+bwrap, uid, bwrap or none', 'auto')
      .option('--https-port <port>', 'HTTPS for custom domains (default 443 when this user may bind it)')
      .option('--public-url <url>', 'where visitors and GitHub reach this server (remembered for "projects add")')
      .option('--acme-directory <url>', 'the ACME CA custom domains get certificates from (default: Let\'s Encrypt)')
      .action(action(() => import('../commands/server.js')));
  },
  projects: (program, action) => {
    const projects = program.command('projects').description('register and manage projects');
    projects
      .command('add <name>')
      .description('register a project and its GitHub push webhook')
      .requiredOption('--repo <repo>', 'a local path, a file:// or https:// git URL, or GitHub owner/name')
      .option('--branch <branch>', 'the branch whose pushes deploy', 'main')
      .option('--root <dir>', 'the Next.js app\'s directory inside the repo', '')
      .option('--github-token <token>', 'register the webhook on GitHub with this token (default: GITHUB_TOKEN); prefer --github-token-env')
      .option('--github-token-env <VAR>', 'the environment variable holding the project\'s GitHub token: private clones, deployment statuses (and the webhook)')
      .option('--build-size <size>', 'the build machine on aws: small (4 GB), medium (8 GB) or large (16 GB); default: the platform\'s')
      .option('--owner <owner>', 'the owner (person or team) the project belongs to (default: the default owner)')
      .action(action(() => import('../commands/projects-add.js')));
    projects
      .command('set <name>')
      .description('change a project\'s settings: --build-size')
      .requiredOption('--build-size <size>', 'the build machine on aws: small (4 GB), medium (8 GB) or large (16 GB)')
      .action(action(() => import('../commands/projects-set.js')));
    projects
      .command('set-token <name>')
      .description('give a project a GitHub token (private repository, deployment statuses), or --remove it; asks for it on a terminal')
      .option('--github-token-env <VAR>', 'the environment variable holding the token')
      .option('--remove', 'forget the project\'s token')
      .action(action(() => import('../commands/projects-set-token.js')));
    projects.command('ls').alias('list').description('list projects').action(action(() => import('../commands/projects-ls.js')));
    projects.command('show <name>').description('show a project, its live deployment and webhook').action(action(() => import('../commands/projects-show.js')));
    projects.command('rm <name>').alias('remove').description('remove a project and its env vars').action(action(() => import('../commands/projects-rm.js')));
  },
  domains: (program, action) => {
    const domains = program.command('domains').description('custom domains with HTTPS: add, list, verify, remove');
    domains
      .command('add <domain>')
      .description('add a custom domain to a project: prints the DNS records to create; the certificate follows by itself')
      .requiredOption('--project <project>', 'the project the domain serves')
      .addOption(new Option('--redirect-www', 'also add www.<domain>, redirecting to <domain>').conflicts('withWww'))
      .addOption(new Option('--with-www', 'also add www.<domain>, serving the same site').conflicts('redirectWww'))
      .option('--no-dns', 'never write this domain\'s records in a Route 53 hosted zone (aws)')
      .option('--wait', 'follow the domain until it is active')
      .option('--timeout <minutes>', 'with --wait: give up waiting after this long', '30')
      .action(action(() => import('../commands/domains-add.js')));
    domains
      .command('ls')
      .alias('list')
      .description('list domains: state, certificate expiry, last check and the next action')
      .option('--project <project>', 'only this project\'s domains')
      .action(action(() => import('../commands/domains-ls.js')));
    domains
      .command('verify <domain>')
      .description('check a domain now (DNS, certificate, routing, an HTTPS probe) and say what to fix; changes nothing')
      .option('--wait', 'check again until every item passes')
      .option('--timeout <minutes>', 'with --wait: give up after this long', '30')
      .action(action(() => import('../commands/domains-verify.js')));
    domains.command('rm <domain>').alias('remove').description('stop serving a domain and release its certificate').action(action(() => import('../commands/domains-rm.js')));
  },
  deploy: (program, action) => {
    program
      .command('deploy <project>')
      .description('build and deploy the branch head (or --ref) now, without a push')
      .option('--ref <ref>', 'a branch, tag or commit to deploy instead of the branch head')
      .option('--follow', 'follow the logs until the deployment ends')
      .action(action(() => import('../commands/deploy.js')));
  },
  deployments: (program, action) => {
    const deployments = program.command('deployments').description('list and inspect deployments');
    deployments
      .command('ls <project>')
      .alias('list')
      .description('list a project\'s deployments, newest first')
      .option('--limit <n>', 'how many to show', '20')
      .action(action(() => import('../commands/deployments-ls.js')));
    deployments.command('show <id>').description('show a deployment: state, commit, trigger, time per phase, last log lines').action(action(() => import('../commands/deployments-show.js')));
  },
  logs: (program, action) => {
    program
      .command('logs <target>')
      .description('print a deployment\'s build log (project name = its newest deployment), or with --runtime what its site printed')
      .option('-f, --follow', 'keep following until the deployment ends (exits non-zero if it failed); with --runtime, until Ctrl-C')
      .option('--runtime', 'the site\'s own output and anchor\'s crash and restart lines (project name = its live deployment)')
      .action(action(() => import('../commands/logs.js')));
  },
  rollback: (program, action) => {
    program
      .command('rollback <project> [deploymentId]')
      .description('point the site back at a retained deployment, instantly (default: the previous one)')
      .action(action(() => import('../commands/rollback.js')));
  },
  env: (program, action) => {
    const env = program.command('env').description('manage a project\'s environment variables');
    env.command('ls <project>').alias('list').description('list variables (secrets masked)').action(action(() => import('../commands/env-ls.js')));
    env
      .command('set <project> <assignment>')
      .description('set KEY=VALUE (or KEY alone to be asked for the value)')
      .option('--secret', 'write-only: never shown, never pulled, masked in build logs')
      .option('--target <targets>', 'build, runtime, or build,runtime', 'build,runtime')
      .action(action(() => import('../commands/env-set.js')));
    env.command('rm <project> <key>').alias('remove').description('remove a variable').action(action(() => import('../commands/env-rm.js')));
    env
      .command('pull <project> [file]')
      .description('merge the variables into a dotenv file (default .env.local), keeping local-only keys')
      .option('--target <target>', 'which set to pull: build or runtime', 'runtime')
      .action(action(() => import('../commands/env-pull.js')));
    env
      .command('import <project> <file>')
      .description('import a dotenv file; nothing is imported if any line is bad')
      .option('--secret', 'import every value as a secret')
      .option('--target <targets>', 'build, runtime, or build,runtime', 'build,runtime')
      .action(action(() => import('../commands/env-import.js')));
  },
  tokens: (program, action) => {
    const tokens = program.command('tokens').description('API tokens: shown once, stored as SHA-256, always expiring');
    tokens
      .command('create')
      .description('create an API token (printed once)')
      .requiredOption('--name <name>', 'what the token is for, e.g. ci')
      .option('--scope <scope>', 'read, deploy (+ deploy and roll back), write (+ projects, env, domains) or admin (+ tokens)', 'read')
      .option('--project <project>', 'restrict the token to one project')
      .option('--expires <duration>', 'lifetime, e.g. 90d, 12h (at most 365d)', '90d')
      .option('--owner <owner>', 'the owner the token acts as (default: the default owner)')
      .action(action(() => import('../commands/tokens-create.js')));
    tokens.command('ls').alias('list').description('list tokens with their scope, expiry and last use').option('--owner <owner>', 'only this owner\'s tokens').action(action(() => import('../commands/tokens-ls.js')));
    tokens.command('revoke <id>').description('revoke a token now (its dashboard sessions end too)').action(action(() => import('../commands/tokens-revoke.js')));
  },
  owners: (program, action) => {
    const owners = program.command('owners').description('owners (people or teams) of projects and tokens');
    owners.command('add <name>').description('add an owner').action(action(() => import('../commands/owners-add.js')));
    owners.command('ls').alias('list').description('list owners').action(action(() => import('../commands/owners-ls.js')));
  },
  dashboard: (program, action) => {
    program
      .command('dashboard')
      .description('open the web dashboard with a one-time sign-in link (valid 5 minutes)')
      .option('--owner <owner>', 'sign in as this owner (default: the default owner)')
      .option('--no-open', 'print the link without opening a browser')
      .action(action(() => import('../commands/dashboard.js')));
  },
  login: (program, action) => {
    program
      .command('login <url>')
      .description('manage a platform from this machine through its HTTP API: stores it (and a token, mode 0600) as a remote platform')
      .option('--name <platform>', 'the name to give it here (default: its host name)')
      .option('--token-stdin', 'read the API token from stdin instead of asking (never pass a token as an argument)')
      .action(action(() => import('../commands/login.js')));
  },
  logout: (program, action) => {
    program.command('logout').description('forget a remote platform\'s token (--platform, else the default)').action(action(() => import('../commands/logout.js')));
  },
  doctor: (program, action) => {
    program
      .command('doctor')
      .description('check this platform: isolation of sites and builds, the server lock, file modes')
      .action(action(() => import('../commands/doctor.js')));
  },
  destroy: (program, action) => {
    program
      .command('destroy')
      .description('remove a platform and everything it deployed')
      .option('--force', 'also delete data that would otherwise be kept')
      .action(action(() => import('../commands/destroy.js')));
  },
};

/** The first word of a command line that is not an option (nor --platform's value). */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return undefined;
    if (arg === '--platform') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** `env set`, `projects ls`: the command's words without the program's. */
function commandPath(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}
