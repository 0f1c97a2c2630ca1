import { NOTHING_LIVE_HEADERS, nothingLivePage } from '../../src/core/nothing-live-page.js';
import { patternRegex, type Behaviour } from './project-behaviours.js';

/**
 * Code that lives inside the project stack itself: the placeholder functions that answer until
 * the first deploy, and the CloudFront Function in front of every request.
 */

/** The headers as a JS object literal, as the inline code has always had them (a changed ZipFile is a stack change). */
const PLACEHOLDER_HEADERS = `{ ${Object.entries(NOTHING_LIVE_HEADERS).map(([k, v]) => `'${k}': '${v}'`).join(', ')} }`;

/**
 * Inline (ZipFile) code for a function that has never been deployed: 503 with a page saying so,
 * never cached. The streaming variant matches a Function URL with InvokeMode RESPONSE_STREAM.
 */
export function placeholderCode(project: string, mode: 'stream' | 'buffered'): string {
  const page = JSON.stringify(nothingLivePage(project));
  if (mode === 'stream') {
    return [
      `const page = ${page};`,
      'exports.handler = awslambda.streamifyResponse(async (_event, responseStream) => {',
      `  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 503, headers: ${PLACEHOLDER_HEADERS} });`,
      '  stream.write(page);',
      '  stream.end();',
      '});',
    ].join('\n');
  }
  return [`const page = ${page};`, `exports.handler = async () => ({ statusCode: 503, headers: ${PLACEHOLDER_HEADERS}, body: page });`].join('\n');
}

/**
 * The viewer-request CloudFront Function (cloudfront-js-2.0), in front of every request. It reads
 * the live deployment from the project's KeyValueStore (key = project name, value =
 * resource-names.ts liveAssetValue: the live asset prefix `<project>/<deploymentId>` and the
 * deployment's top-level public names), so a deploy is one KVS write and no distribution update:
 *
 * - A static asset (an assets behaviour, or a top-level public name of the live deployment,
 *   which is sent to the assets origin whatever behaviour caught it) is rewritten to the live
 *   deployment's prefix.
 * - Every other request gets `x-anchor-deployment` (part of the server and image cache keys), so
 *   each deploy or rollback starts a fresh cache key and no page cached for a year by OpenNext's
 *   `s-maxage` outlives its deployment; and `x-forwarded-host` from Host (OpenNext builds the
 *   request URL from it; the Function URL origin receives its own host name).
 *
 * Returned as text parts around the KVS id, which only CloudFormation knows (Fn::Join).
 */
export function edgeFunctionCode(project: string, behaviours: readonly Behaviour[]): { before: string; after: string } {
  const routes = JSON.stringify(behaviours.map((b) => [patternRegex(b.pattern), b.origin]));
  const before = ["import cf from 'cloudfront';", "const kvs = cf.kvs('"].join('\n');
  const after = [
    "');",
    `const PROJECT = ${JSON.stringify(project)};`,
    `const ROUTES = ${routes}.map(function (r) { return [new RegExp(r[0]), r[1]]; });`,
    'function originOf(uri) {',
    '  for (var i = 0; i < ROUTES.length; i++) { if (ROUTES[i][0].test(uri)) return ROUTES[i][1]; }',
    "  return 'server';",
    '}',
    // A value written before public names were kept is the bare prefix.
    'async function live() {',
    '  var value;',
    '  try { value = await kvs.get(PROJECT); } catch (e) { return null; }',
    '  if (!value) return null;',
    "  if (value.charAt(0) !== '{') return { p: value, f: [] };",
    '  try { return JSON.parse(value); } catch (e) { return null; }',
    '}',
    'async function handler(event) {',
    '  var request = event.request;',
    '  var site = await live();',
    '  var origin = originOf(request.uri);',
    "  if (origin === 'server' && site && site.f.indexOf(request.uri.split('/')[1]) !== -1) {",
    "    origin = 'assets';",
    "    cf.selectRequestOriginById('assets');",
    '  }',
    "  if (origin === 'assets') {",
    "    if (!site) return { statusCode: 404, statusDescription: 'Not Found', headers: { 'cache-control': { value: 'no-store' } } };",
    "    request.uri = '/' + site.p + request.uri;",
    '    return request;',
    '  }',
    "  request.headers['x-anchor-deployment'] = { value: site ? site.p.slice(site.p.indexOf('/') + 1) : 'none' };",
    "  if (request.headers.host) request.headers['x-forwarded-host'] = { value: request.headers.host.value };",
    '  return request;',
    '}',
  ].join('\n');
  return { before, after };
}
