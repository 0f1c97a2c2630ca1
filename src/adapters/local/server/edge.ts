import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EdgeRoute, LocalFunctionHost } from '../runtime/local-function-host.js';
import { OpenNextRoutes } from '../runtime/opennext-manifest.js';
import { StaticFileCache } from '../runtime/static-files.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../../../core/function-limits.js';
import { plural } from '../../../lib/plural.js';

/** Lambda's timeouts for the project's functions (infra/stack/project-template.ts uses the same). */
const LAMBDA_TIMEOUTS_MS = { server: FUNCTION_TIMEOUT_SECONDS.server * 1000, image: FUNCTION_TIMEOUT_SECONDS.image * 1000 };
import { functionFailedPage, unavailablePage } from './edge-pages.js';
import { NOTHING_LIVE_HEADERS, nothingLivePage } from '../../../core/nothing-live-page.js';
import { socketPathOf } from '../runtime/function-socket.js';

/**
 * The local edge: what CloudFront does on AWS. A request for a project's site goes, by the live
 * deployment's OpenNext behaviours, to its static assets, its image function or its server function.
 */
export class Edge {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly routesByArtifact = new Map<string, Promise<OpenNextRoutes>>();
  private readonly staticFiles = new StaticFileCache();

  constructor(
    private readonly functions: LocalFunctionHost,
    /** How long a function may take to answer, as Lambda's timeout: then 504, or a cut stream. */
    private readonly timeoutsMs: { server: number; image: number } = LAMBDA_TIMEOUTS_MS,
  ) {}

  close(): void {
    this.agent.destroy();
  }

  async serve(project: string, host: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = this.functions.route(project);
    if (!route) {
      res.writeHead(404, { ...NOTHING_LIVE_HEADERS });
      res.end(nothingLivePage(project));
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const origin = (await this.routesFor(route)).originFor(path);
    if (origin === 'assets' && (req.method === 'GET' || req.method === 'HEAD') && (await this.staticFiles.serve(req, res, route.assetsDir, path))) return;
    // Starts the function if it was stopped when idle (this request waits for it); a version is
    // never stopped while a request holds it.
    const lease = await route.acquire(origin === 'image' ? 'image' : 'server');
    if ('unavailable' in lease) return unavailablePage(res, project, lease);
    try {
      const kind = origin === 'image' ? 'image' : 'server';
      await this.proxy(lease.url, project, host, req, res, this.timeoutsMs[kind]);
    } finally {
      lease.release();
    }
  }

  private routesFor(route: EdgeRoute): Promise<OpenNextRoutes> {
    let routes = this.routesByArtifact.get(route.artifactDir);
    if (!routes) {
      routes = OpenNextRoutes.load(route.artifactDir);
      this.routesByArtifact.set(route.artifactDir, routes);
    }
    return routes;
  }

  /** To a function process, on its Unix socket (`target` is `unix:<path>`). */
  private proxy(target: string, project: string, host: string, req: IncomingMessage, res: ServerResponse, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const upstream = httpRequest(
        {
          socketPath: socketPathOf(target),
          method: req.method,
          path: req.url,
          agent: this.agent,
          headers: { ...req.headers, host, 'x-forwarded-host': host, 'x-forwarded-proto': 'encrypted' in req.socket ? 'https' : 'http', 'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1' },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', (error) => {
        if (res.writableEnded) return resolve();
        if (!res.headersSent) functionFailedPage(res, project, error.message);
        else res.destroy();
        resolve();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        resolve();
      });
      // Lambda ends an invocation at its timeout, answered or not; so does the edge. Destroying
      // the upstream request closes the function process's side too, so it does not keep it.
      const timer = setTimeout(() => {
        upstream.destroy();
        if (!res.headersSent) {
          res.writeHead(504, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
          res.end(`anchor: the site's function did not answer within ${describeSeconds(timeoutMs)} (its timeout; "anchor server --function-timeout" sets it).\n`);
        } else {
          res.destroy();
        }
        resolve();
      }, timeoutMs);
      res.once('close', () => clearTimeout(timer));
      req.pipe(upstream);
    });
  }
}

function describeSeconds(ms: number): string {
  return ms % 1000 === 0 ? plural(ms / 1000, 'second') : `${(ms / 1000).toFixed(1)} seconds`;
}
