// The child process that runs one OpenNext function bundle (server or image) as a local HTTP
// server on a Unix socket: `node handler-child.js <bundleDir> <server|image> <socketPath>`. Each
// HTTP request becomes a Lambda Function URL event for the bundle's streaming handler, and the
// streamed answer becomes the HTTP response. Started by handler-process.ts (in its project's
// sandbox), which it tells over IPC when it listens.
//
// A child per deployment because importing the server bundle changes the working directory and
// fills process-wide globals; and because stopping a version must not touch the others.
import { AsyncLocalStorage } from 'node:async_hooks';
import dns from 'node:dns';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { toFunctionUrlEvent } from './function-url-event.js';
import { HTTP_INTEGRATION_RESPONSE, LambdaResponseStream } from './lambda-response-stream.js';

/** Messages this child sends its parent. */
export type HandlerChildMessage = { type: 'ready'; socketPath: string };

type StreamingHandler = (event: unknown, responseStream: Writable, context: Record<string, unknown>) => Promise<unknown>;

const [bundleArg, kindArg, socketArg] = process.argv.slice(2);
if (bundleArg === undefined || (kindArg !== 'server' && kindArg !== 'image') || socketArg === undefined) {
  process.stderr.write('usage: handler-child <bundleDir> <server|image> <socketPath>\n');
  process.exit(2);
}
const socketPath = path.resolve(socketArg);
const bundleDir = path.resolve(bundleArg);

installLambdaGlobals();
routeLocalhostSubdomainsToLoopback();

// fs-dev overrides find the caches and assets at `<cwd>/../..`. The server bundle moves into its
// own directory when imported; the image bundle does not, and does not say where the monorepo
// root is either, so do both for it (the server bundle sets its own).
process.chdir(bundleDir);
(globalThis as Record<string, unknown>).monorepoPackagePath ??= '';

const bundle = (await import(pathToFileURL(path.join(bundleDir, 'index.mjs')).href)) as { handler?: unknown };
if (typeof bundle.handler !== 'function') {
  process.stderr.write(`${bundleDir}/index.mjs exports no handler function.\n`);
  process.exit(1);
}
const handler = bundle.handler as StreamingHandler;

let inFlight = 0;
let stopping = false;

/** The request whose code is running: an error nobody caught is that request's failure. */
interface RequestScope {
  fail(error: unknown): void;
}
const requestScopes = new AsyncLocalStorage<RequestScope>();

const server = http.createServer((req, res) => {
  inFlight += 1;
  let finished = false;
  // Once per request, whichever comes first: the handler settling, an error escaping it, or the
  // edge giving up on it (its timeout, a visitor gone): a handler that never finishes must not
  // keep this process from stopping.
  const finish = () => {
    if (finished) return;
    finished = true;
    inFlight -= 1;
    if (stopping) exitWhenIdle();
  };
  const fail = (error: unknown) => {
    console.error('[anchor] request failed:', error);
    answerFailed(res, finished);
    finish();
  };
  res.once('close', finish);
  requestScopes.run({ fail }, () => serve(req, res)).then(finish, fail);
});
// Streamed pages may take long; the client decides when to give up, as with a Function URL.
server.requestTimeout = 0;
// A socket file left by a process that was killed would make listen fail: nobody else listens there.
rmSync(socketPath, { force: true });
server.listen(socketPath, () => {
  const message: HandlerChildMessage = { type: 'ready', socketPath };
  if (process.send) process.send(message);
  else process.stdout.write(`listening on ${socketPath}\n`);
});

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent went away: nobody will ever send SIGTERM, so behave as if it had.
process.on('disconnect', stop);
// Lambda would end the invocation; here one bad request must not take the others down. The
// request whose code threw (a stream 'error' nobody listened to, a throw in a timer, a promise
// nobody awaited) is answered 500; the process goes on serving the others.
process.on('uncaughtException', (error) => escaped(error, 'uncaught exception'));
process.on('unhandledRejection', (reason) => escaped(reason, 'unhandled rejection'));

function escaped(error: unknown, what: string): void {
  const scope = requestScopes.getStore();
  if (scope) scope.fail(error);
  else console.error(`[anchor] ${what} outside any request:`, error);
}

/** A failed request gets a 500 if nothing was sent yet; a response already under way is cut off. */
function answerFailed(res: ServerResponse, finished: boolean): void {
  if (res.destroyed || res.writableEnded) return;
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('The site failed while answering this request.\n');
  } else if (!finished) {
    res.destroy();
  }
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const event = toFunctionUrlEvent(req, body);
  const responseStream = new LambdaResponseStream(res);
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  const requestId = event.requestContext.requestId;
  const context = {
    awsRequestId: requestId,
    functionName: `anchor-local-${kindArg}`,
    functionVersion: '$LATEST',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 900_000,
  };
  try {
    // Resolves once the handler and its waitUntil work (ISR regeneration) are done.
    await handler(event, responseStream, context);
  } catch (error) {
    if (!responseStream.headersWritten) throw error;
    console.error('[anchor] handler failed mid-response:', error);
    res.destroy();
  }
  // The wrapper's compressor may still be flushing into the stream after the handler returned.
  if (!responseStream.writableEnded && !res.destroyed) {
    await new Promise<void>((resolve) => {
      responseStream.once('finish', resolve);
      res.once('close', resolve);
    });
  }
  await closed;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  // Stop accepting; requests already in flight (and their background work) run to the end.
  server.close();
  server.closeIdleConnections();
  exitWhenIdle();
}

function exitWhenIdle(): void {
  if (inFlight > 0) return;
  server.closeAllConnections();
  process.exit(0);
}

/** What Lambda's Node runtime puts on `globalThis.awslambda` for response streaming. */
function installLambdaGlobals(): void {
  const streamify = (fn: StreamingHandler): StreamingHandler => fn;
  const HttpResponseStream = {
    from(stream: LambdaResponseStream, prelude: Record<string, unknown>): LambdaResponseStream {
      stream.setContentType(HTTP_INTEGRATION_RESPONSE);
      stream.write(JSON.stringify(prelude));
      stream.write(new Uint8Array(8));
      return stream;
    },
  };
  (globalThis as Record<string, unknown>).awslambda = { streamifyResponse: streamify, HttpResponseStream };
}

/**
 * ISR revalidation calls the site back at `http://<request host>/…`, and the host is
 * `<project>.localhost`, which this machine's resolver does not know (browsers map it to
 * loopback by themselves, Node does not). Answer `*.localhost` with loopback here.
 */
function routeLocalhostSubdomainsToLoopback(): void {
  const lookup = dns.lookup;
  const patched = (hostname: string, ...rest: unknown[]): unknown => {
    const target = /\.localhost\.?$/i.test(hostname) ? '127.0.0.1' : hostname;
    return (lookup as (...args: unknown[]) => unknown).call(dns, target, ...rest);
  };
  (dns as { lookup: unknown }).lookup = patched;
}
