import { ORIGIN_REFUSED_HEADER, ORIGIN_SECRET_HEADER, ORIGIN_SECRETS_ENV } from '../../src/core/origin-guard-wire.js';

/**
 * The handler wrapper each site function runs (ORIGIN_GUARD_HANDLER): written beside OpenNext's
 * `index.mjs` by the buildspec, so a Function URL with AuthType NONE still answers only CloudFront.
 *
 * - The accepted values come from ANCHOR_ORIGIN_SECRETS (the current one, and the previous one
 *   during a rotation), which is deleted from `process.env` before the app's bundle is loaded.
 * - Each request's `x-anchor-origin-secret` is compared with every accepted value in constant
 *   time (both SHA-256 digested to one length, no early exit), then removed from the event: the
 *   app never sees it, whatever the outcome.
 * - Without a match the answer is 403 and the app is never called; with none configured, every
 *   request is refused (a function deployed without the secret fails closed).
 * - Everything else (Authorization, the body, cookies) reaches the app untouched.
 *
 * `stream` for a function behind a RESPONSE_STREAM URL (the inner handler is streamified), else buffered.
 */
export function originGuardCode(mode: 'stream' | 'buffered'): string {
  const common = [
    "import { createHash, timingSafeEqual } from 'node:crypto';",
    `const HEADER = ${JSON.stringify(ORIGIN_SECRET_HEADER)};`,
    "const digest = (text) => createHash('sha256').update(String(text), 'utf8').digest();",
    `const accepted = String(process.env.${ORIGIN_SECRETS_ENV} || '').split(',').filter((s) => s.length > 0).map(digest);`,
    `delete process.env.${ORIGIN_SECRETS_ENV};`,
    "const inner = (await import('./index.mjs')).handler;",
    'function fromCloudFront(event) {',
    '  const headers = (event && typeof event.headers === "object" && event.headers) || {};',
    '  let given;',
    '  for (const name of Object.keys(headers)) {',
    '    if (name.toLowerCase() !== HEADER) continue;',
    '    given = headers[name];',
    '    delete headers[name];',
    '  }',
    '  if (typeof given !== "string") return false;',
    '  const value = digest(given);',
    '  let match = false;',
    '  for (const secret of accepted) match = timingSafeEqual(secret, value) || match;',
    '  return match;',
    '}',
    `const REFUSED = { statusCode: 403, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', '${ORIGIN_REFUSED_HEADER}': 'origin-secret' } };`,
  ];
  const handler =
    mode === 'stream'
      ? [
          'export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {',
          '  if (!fromCloudFront(event)) {',
          '    const stream = awslambda.HttpResponseStream.from(responseStream, REFUSED);',
          "    stream.write('Forbidden: this address answers only through the site\\'s CloudFront distribution.\\n');",
          '    stream.end();',
          '    return;',
          '  }',
          '  return inner(event, responseStream, context);',
          '});',
        ]
      : [
          'export const handler = async (event, context) => {',
          "  if (!fromCloudFront(event)) return { ...REFUSED, body: 'Forbidden: this address answers only through the site\\'s CloudFront distribution.\\n' };",
          '  return inner(event, context);',
          '};',
        ];
  return [...common, ...handler, ''].join('\n');
}
