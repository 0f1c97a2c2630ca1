/**
 * What anchor reads from OpenNext's output (`.open-next/`), on both backends: where things are,
 * which bundle is the server, what a build produced (from a list of its files), and how a
 * request path is routed to an origin. Pure: the local edge, the artifacts adapters and the
 * CloudFront stack all take their answers from here, so they cannot route or judge differently.
 */

export const OPEN_NEXT_LAYOUT = {
  manifest: 'open-next.output.json',
  assets: 'assets',
  cache: 'cache',
  server: 'server-functions/default',
  image: 'image-optimization-function',
} as const;

export type FunctionKind = 'server' | 'image';
export type Origin = 'server' | 'image' | 'assets';
/** A CPU as Node names it (process.arch); Lambda says arm64 / x86_64. */
export type CpuArch = 'arm64' | 'x64';

/**
 * The wrapper each function's handler must be built with: anchor runs both behind
 * response-streaming URLs (RESPONSE_STREAM on AWS, the prelude reader locally). templates/
 * open-next.config.ts sets it; a deploy refuses an app whose own config chose another.
 */
export const FUNCTION_WRAPPER: Record<FunctionKind, string> = { server: 'aws-lambda-streaming', image: 'aws-lambda-streaming' };

/** How a Function URL must invoke a handler built with `wrapper`: a streaming wrapper answers with a prelude only a RESPONSE_STREAM URL reads. */
export const invokeModeOf = (wrapper: string): 'RESPONSE_STREAM' | 'BUFFERED' => (wrapper === 'aws-lambda-streaming' ? 'RESPONSE_STREAM' : 'BUFFERED');

export interface Behaviour {
  pattern: string;
  origin: Origin;
}

export interface OpenNextManifest {
  origins?: Record<string, { bundle?: unknown; wrapper?: unknown } | undefined>;
  behaviors?: { pattern: string; origin?: string }[];
}

export function parseManifest(text: string | null): OpenNextManifest | null {
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as OpenNextManifest) : null;
  } catch {
    return null;
  }
}

/** The default origin's bundle as the manifest names it (`.open-next/server-functions/default`), relative to `.open-next/`. */
export function serverBundlePath(manifest: OpenNextManifest | null): string {
  const bundle = manifest?.origins?.['default']?.bundle;
  if (typeof bundle !== 'string') return OPEN_NEXT_LAYOUT.server;
  const inside = bundle.replace(/^(\.\/)?\.open-next\//, '').replace(/\/$/, '');
  return inside === '' || inside.startsWith('..') || inside.startsWith('/') ? OPEN_NEXT_LAYOUT.server : inside;
}

/** What the deployer checks before anything goes live. */
export interface BundleReport {
  /** Unzipped size of the server function bundle (Lambda allows 250 MB). */
  serverBundleBytes: number;
  /** OpenNext installs sharp into the image function at build time and exits 0 when that fails. */
  imageHasSharp: boolean;
  hasServerFunction: boolean;
  /** Native packages for one CPU (`<name>-linux-<arch>[-gnu|-musl]`) found in a function bundle: they run on that CPU only. */
  nativePackages: { path: string; arch: CpuArch }[];
  /** The wrapper the manifest says each function was built with (absent: the manifest does not say). */
  wrappers: Partial<Record<FunctionKind, string>>;
  /** Top-level names under `assets/` other than `_next`: the app's public files, served from the static host. */
  publicNames: string[];
}

export interface OutputFile {
  /** Path inside `.open-next/`, with `/`. */
  name: string;
  size: number;
}

const NATIVE_PACKAGE = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]*-linux-(arm64|x64)(?:-gnu|-musl)?)\//;

/** The report of a build from the list of its regular files and its manifest. */
export function bundleReport(files: readonly OutputFile[], manifest: OpenNextManifest | null): BundleReport {
  const server = serverBundlePath(manifest);
  const hasServerFunction = files.some((f) => f.name === `${server}/index.mjs`);
  const native = new Map<string, CpuArch>();
  for (const file of files) {
    if (!file.name.startsWith(`${server}/`) && !file.name.startsWith(`${OPEN_NEXT_LAYOUT.image}/`)) continue;
    const match = NATIVE_PACKAGE.exec(file.name);
    if (match?.[1] && match[2]) native.set(file.name.slice(0, file.name.indexOf(match[1]) + match[1].length), match[2] as CpuArch);
  }
  const wrappers: Partial<Record<FunctionKind, string>> = {};
  for (const [kind, origin] of [['server', 'default'], ['image', 'imageOptimizer']] as const) {
    const wrapper = manifest?.origins?.[origin]?.wrapper;
    if (typeof wrapper === 'string') wrappers[kind] = wrapper;
  }
  const assets = `${OPEN_NEXT_LAYOUT.assets}/`;
  const publicNames = [...new Set(files.filter((f) => f.name.startsWith(assets)).map((f) => f.name.slice(assets.length).split('/')[0]!))].filter((n) => n !== '_next').sort();
  return {
    serverBundleBytes: hasServerFunction ? files.filter((f) => f.name.startsWith(`${server}/`)).reduce((sum, f) => sum + f.size, 0) : 0,
    imageHasSharp: files.some((f) => f.name.startsWith(`${OPEN_NEXT_LAYOUT.image}/node_modules/sharp/`)),
    hasServerFunction,
    nativePackages: [...native].map(([path, arch]) => ({ path, arch })).sort((a, b) => a.path.localeCompare(b.path)),
    wrappers,
    publicNames,
  };
}

/** What OpenNext 4 emits for an App Router app; used until a manifest is known. */
export const DEFAULT_BEHAVIOURS: readonly Behaviour[] = [
  { pattern: '_next/image*', origin: 'image' },
  { pattern: '_next/data/*', origin: 'server' },
  { pattern: 'api/*', origin: 'server' },
  { pattern: '_next/*', origin: 'assets' },
  { pattern: 'BUILD_ID', origin: 'assets' },
  { pattern: 'favicon.ico', origin: 'assets' },
];

const ORIGINS: Record<string, Origin> = { s3: 'assets', imageOptimizer: 'image', default: 'server' };

/** The manifest's behaviours in precedence order, without `*` (the default: the server). */
export function behavioursOf(manifest: OpenNextManifest | null): Behaviour[] {
  if (!manifest?.behaviors) return sortBehaviours(DEFAULT_BEHAVIOURS);
  return sortBehaviours(manifest.behaviors.filter((b) => b.pattern !== '*').map((b): Behaviour => ({ pattern: b.pattern, origin: ORIGINS[b.origin ?? ''] ?? 'server' })));
}

/**
 * The one precedence order (OpenNext's array is not in one; CloudFront and the local edge take
 * the first match): exact paths first, then longer literal prefixes (`_next/image*` before
 * `_next/*`), then by pattern so the order never depends on the manifest's.
 */
export function sortBehaviours(behaviours: readonly Behaviour[]): Behaviour[] {
  const literal = (p: string) => p.split(/[*?]/)[0]!.length;
  const exact = (p: string) => !/[*?]/.test(p);
  return [...behaviours].sort((a, b) => Number(exact(b.pattern)) - Number(exact(a.pattern)) || literal(b.pattern) - literal(a.pattern) || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
}

/** A CloudFront path pattern (`*` any characters, `?` one, case-sensitive) as an anchored regex over the request path (leading `/`). */
export function patternRegex(pattern: string): string {
  const body = pattern.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return `^/${body}$`;
}

/** Routes request paths by `sorted` (in `sortBehaviours` order): the first behaviour that matches, else the server. */
export function pathRouter(sorted: readonly Behaviour[]): (path: string) => Origin {
  const rules = sorted.map((b) => ({ test: new RegExp(patternRegex(b.pattern)), origin: b.origin }));
  return (path) => {
    const uri = `/${path.replace(/^\/+/, '')}`;
    return rules.find((r) => r.test.test(uri))?.origin ?? 'server';
  };
}
