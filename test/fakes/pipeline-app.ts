import { appFiles } from '../unit/process-builder-fixture.js';

/**
 * An app repo for pipeline tests that builds in about a second: its `open-next` is a small program
 * that writes a real-shaped `.open-next/` (manifest, hashed assets, a streaming server function and
 * an image function with its `sharp`). The server function answers like a Lambda streaming handler,
 * so the real handler processes, the edge and the deployer run it as they would a Next.js build.
 *
 * `site.json` in the commit steers it: the version shown, a build delay, and faults to inject.
 */
export interface SiteConfig {
  version: string;
  buildSleepMs?: number;
  failBuild?: boolean;
  noSharp?: boolean;
  /** The CPU sharp's native package is installed for (default: this machine's). */
  sharpArch?: string;
  noAssets?: boolean;
  crashOnStart?: boolean;
  smokeStatus?: number;
  /** Runs probe.cjs (probe-app.ts) in the build and at GET /probe. */
  probe?: boolean;
  /** The build starts a process that leaves its session with an empty environment, TEST_BUILD_MARK in its arguments. */
  escapee?: boolean;
}

const FAKE_OPEN_NEXT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
if (process.env.PIDS_FILE) fs.appendFileSync(process.env.PIDS_FILE, process.pid + '\n');
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
const site = JSON.parse(fs.readFileSync('site.json', 'utf8'));
const out = '.open-next';
fs.rmSync(out, { recursive: true, force: true });
const write = (file, text) => { fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true }); fs.writeFileSync(path.join(out, file), text); };
write('open-next.output.json', JSON.stringify({
  origins: { s3: { type: 's3', originPath: '_assets', copy: [{ from: '.open-next/assets', to: '_assets', cached: true, versionedSubDir: '_next' }] },
    default: { type: 'function', handler: 'index.handler', bundle: '.open-next/server-functions/default', streaming: true },
    imageOptimizer: { type: 'function', handler: 'index.handler', bundle: '.open-next/image-optimization-function', streaming: false } },
  behaviors: [{ pattern: '_next/image*', origin: 'imageOptimizer' }, { pattern: '*', origin: 'default' }, { pattern: '_next/*', origin: 's3' }, { pattern: 'logo.txt', origin: 's3' }],
}));
if (!site.noAssets) {
  write('assets/_next/static/chunks/app-' + site.version + '.js', 'console.log(' + JSON.stringify(site.version) + ');\n');
  write('assets/logo.txt', 'logo of ' + site.version + '\n');
}
const handler = (kind) => [
  'import fs from "node:fs";',
  'const site = ' + JSON.stringify(site) + ';',
  kind === 'server' && site.crashOnStart ? 'throw new Error("crash on start (fixture)");' : '',
  // Runtime faults, steered by the deployment's runtime env: a start that fails while a file exists, and
  // routes that print, or fail outside the handler's promise (a throw in a timer, an unhandled stream error).
  kind === 'server' ? 'if (process.env.CRASH_MARK && fs.existsSync(process.env.CRASH_MARK)) { console.error("refusing to start: " + process.env.CRASH_MARK + " exists"); process.exit(3); }' : '',
  'export const handler = awslambda.streamifyResponse(async (event, stream) => {',
  '  const p = event.rawPath;',
  '  if (p === "/print") { console.log("GET /print, greeting " + process.env.GREETING); console.error("a warning printed by the site"); }',
  '  if (p === "/throw-async") { setTimeout(() => { throw new Error("thrown in a timer (fixture)"); }, 0); return new Promise(() => {}); }',
  '  if (p === "/stream-error") { fs.createReadStream("/nonexistent/anchor-fixture").on("data", () => {}); return new Promise(() => {}); }',
  kind === 'server' && site.probe
    ? '  if (p === "/probe") { const { createRequire } = await import("node:module"); const results = await createRequire(import.meta.url)("./probe.cjs").run(JSON.parse(process.env.PROBE_TARGETS || "{}")); stream = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { "content-type": "application/json" } }); stream.end(JSON.stringify(results)); return; }'
    : '',
  kind === 'server'
    ? '  const status = p === "/" && event.headers["x-anchor-smoke"] && site.smokeStatus ? site.smokeStatus : 200;\n' +
      '  const delay = Number(new URLSearchParams(event.rawQueryString).get("delay") || 0);\n' +
      '  if (delay) await new Promise((r) => setTimeout(r, delay));\n' +
      '  const body = "<h1>" + site.version + "</h1><p id=greeting>" + (process.env.GREETING ?? "none") + "</p><p id=path>" + p + "</p><p id=host>" + (event.headers["x-forwarded-host"] ?? "") + "</p>";'
    : '  const status = 200; const body = "image:" + site.version + ":" + event.rawQueryString;',
  '  stream = awslambda.HttpResponseStream.from(stream, { statusCode: status, headers: { "content-type": ' + (kind === 'server' ? '"text/html; charset=utf-8"' : '"image/png"') + ', "x-version": site.version } });',
  '  stream.write(body.slice(0, 5));',
  '  stream.end(body.slice(5));',
  '});',
].join('\n');
write('server-functions/default/index.mjs', handler('server'));
if (site.probe) write('server-functions/default/probe.cjs', fs.readFileSync('probe.cjs', 'utf8'));
write('image-optimization-function/index.mjs', handler('image'));
if (!site.noSharp) {
  write('image-optimization-function/node_modules/sharp/package.json', '{"name":"sharp","version":"0.35.5"}');
  const arch = site.sharpArch ?? process.arch;
  write('image-optimization-function/node_modules/@img/sharp-linux-' + arch + '/package.json', '{"name":"@img/sharp-linux-' + arch + '"}');
}
write('cache/BUILD_ID/index.json', '{}');
console.log('fake open-next: built ' + site.version);
`;

const BUILD = String.raw`const fs = require('node:fs');
const site = JSON.parse(fs.readFileSync('site.json', 'utf8'));
console.log('build: version ' + site.version);
if (process.env.BUILD_SECRET) console.log('build: using the secret ' + process.env.BUILD_SECRET + ' to fetch data');
if (process.env.PIDS_FILE) fs.appendFileSync(process.env.PIDS_FILE, process.pid + '\n');
if (site.escapee) require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'escapee-' + process.env.TEST_BUILD_MARK], { detached: true, stdio: 'ignore', env: {} }).unref();
if (site.failBuild) { console.error('build: Error: Module not found: ./missing'); process.exit(1); }
if (site.probe) require('./probe.cjs').run(JSON.parse(process.env.PROBE_BUILD_TARGETS || '{}')).then((results) => console.log('probe: ' + JSON.stringify(results)));
const until = Date.now() + Number(process.env.BUILD_SLEEP_MS ?? site.buildSleepMs ?? 0);
const tick = () => { if (Date.now() >= until) { console.log('build: done'); return; } setTimeout(tick, 50); };
tick();
`;

export function pipelineAppFiles(site: SiteConfig): Record<string, string> {
  const files = appFiles({ build: BUILD });
  files['vendor/fake-open-next/bin.js'] = FAKE_OPEN_NEXT;
  files['site.json'] = JSON.stringify(site);
  // The app brings its own config, so anchor's default (for real Next.js apps) is not copied in.
  files['open-next.config.ts'] = 'export default {};\n';
  return files;
}
