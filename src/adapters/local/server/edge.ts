import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EdgeRoute, LocalFunctionHost } from '../runtime/local-function-host.js';
import { OpenNextRoutes } from '../runtime/opennext-manifest.js';
import { StaticFileCache } from '../runtime/static-files.js';

/**
 * The local edge: what CloudFront does on AWS. A request for a project's site goes, by the live
 * deployment's OpenNext behaviours, to its static assets, its image function or its server function.
 */
export class Edge {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly routesByArtifact = new Map<string, Promise<OpenNextRoutes>>();
  private readonly staticFiles = new StaticFileCache();

  constructor(private readonly functions: LocalFunctionHost) {}

  close(): void {
    this.agent.destroy();
  }

  async serve(project: string, host: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = this.functions.route(project);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`<!doctype html><title>${project}: nothing live</title><h1>${project} has nothing live yet</h1><p>Push to the project's branch, or run <code>anchor deploy ${project}</code>. Follow it with <code>anchor logs ${project} --follow</code>.</p>\n`);
      return;
    }
    const leave = route.enter();
    try {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const origin = (await this.routesFor(route)).originFor(path);
      if (origin === 'assets' && (req.method === 'GET' || req.method === 'HEAD') && (await this.staticFiles.serve(req, res, route.assetsDir, path))) return;
      await this.proxy(origin === 'image' ? route.imageUrl : route.serverUrl, host, req, res);
    } finally {
      leave();
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

  private proxy(target: string, host: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upstreamUrl = new URL(target);
    return new Promise<void>((resolve) => {
      const upstream = httpRequest(
        {
          host: upstreamUrl.hostname,
          port: upstreamUrl.port,
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
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`anchor: the site's server did not answer (${error.message}).\n`);
        else res.destroy();
        resolve();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        resolve();
      });
      req.pipe(upstream);
    });
  }
}
