import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The smallest OpenNext-shaped output the local function host runs: a server and an image
 * function that export Lambda streaming handlers, the image function's sharp, one asset. The
 * server answers with its deployment id, the variable named by `?env=` and, to a smoke request,
 * `smokeStatus`; so a test can tell which version a request reached and what it runs with.
 */
export async function writeHandlerArtifact(dir: string, deploymentId: string, options: { smokeStatus?: number } = {}): Promise<void> {
  const server = [
    `const deploymentId = ${JSON.stringify(deploymentId)};`,
    'export const handler = awslambda.streamifyResponse(async (event, stream) => {',
    `  const status = event.rawPath === '/' && event.headers['x-anchor-smoke'] ? ${options.smokeStatus ?? 200} : 200;`,
    "  const name = new URLSearchParams(event.rawQueryString).get('env');",
    '  const body = JSON.stringify({ deploymentId, env: name === null ? null : (process.env[name] ?? null), has: name !== null && name in process.env });',
    "  stream = awslambda.HttpResponseStream.from(stream, { statusCode: status, headers: { 'content-type': 'application/json' } });",
    '  stream.write(body.slice(0, 5));',
    '  stream.end(body.slice(5));',
    '});',
  ].join('\n');
  const image = [
    'export const handler = awslambda.streamifyResponse(async (event, stream) => {',
    "  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'image/png' } });",
    `  stream.end(${JSON.stringify(`image of ${deploymentId}`)});`,
    '});',
  ].join('\n');
  const files: Record<string, string> = {
    'open-next.output.json': JSON.stringify({ origins: { default: { type: 'function', handler: 'index.handler', bundle: '.open-next/server-functions/default', streaming: true } } }),
    'server-functions/default/index.mjs': server,
    'image-optimization-function/index.mjs': image,
    'image-optimization-function/node_modules/sharp/package.json': '{"name":"sharp"}',
    [`image-optimization-function/node_modules/@img/sharp-linux-${process.arch}/package.json`]: `{"name":"@img/sharp-linux-${process.arch}"}`,
    'assets/logo.txt': `logo of ${deploymentId}`,
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}
