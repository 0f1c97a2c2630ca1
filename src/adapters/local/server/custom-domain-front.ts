import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Domain } from '../../../core/domain.js';
import { PROBE_PATH, probeAnswer } from '../tls/https-probe.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

export interface CustomDomainFrontOptions {
  /** The HTTP-01 answers the ACME issuer is waiting on. */
  keyAuthorization(token: string): string | null;
  /** True when the name's certificate is loaded on the HTTPS port (then HTTP redirects there). */
  servesHttps(name: string): boolean;
  /** The HTTPS port (for redirect locations), or null when HTTPS is off. */
  httpsPort(): number | null;
}

/**
 * What `anchor server` does with a request before its usual routing: ACME HTTP-01 answers (any
 * host, HTTP only), then custom domains by Host: the probe path, HTTP → HTTPS once the name has
 * its certificate, `--redirect-www` companions, and otherwise the project's site (through the
 * edge). A host that is no custom domain falls through to the `*.localhost` sites and platform routes.
 */
export class CustomDomainFront {
  private hosts = new Map<string, { project: string; redirectTo: string | null }>();

  constructor(private readonly options: CustomDomainFrontOptions) {}

  /** Replaces the host table with the registered domains (every state: HTTP works before the certificate). */
  replace(domains: readonly Domain[], projectNames: ReadonlyMap<string, string>): void {
    const next = new Map<string, { project: string; redirectTo: string | null }>();
    for (const d of domains) {
      const project = projectNames.get(d.projectId);
      if (project) next.set(d.name, { project, redirectTo: d.redirectTo });
    }
    this.hosts = next;
  }

  /** `{ serve }`: the edge serves that project; `answered`: done here; null: not a custom domain. */
  front(req: IncomingMessage, res: ServerResponse, hostname: string, path: string): { serve: string } | 'answered' | null {
    const socket = req.socket as Partial<TLSSocket>;
    const secure = socket.encrypted === true;
    if (!secure && path.startsWith(CHALLENGE_PREFIX)) {
      const answer = this.options.keyAuthorization(path.slice(CHALLENGE_PREFIX.length));
      if (answer) return text(res, 200, answer);
    }
    // Over TLS the Host must be the name the connection was opened for (no fronting another site through it).
    if (secure && socket.servername !== hostname) return text(res, 421, `This connection is for ${socket.servername || 'no name'}, not ${hostname}.\n`);
    const entry = this.hosts.get(hostname);
    if (!entry) return null;
    if (path === PROBE_PATH) return text(res, 200, probeAnswer(entry.project));
    if (path.startsWith(CHALLENGE_PREFIX)) return text(res, 404, 'No such ACME challenge.\n');
    const port = this.options.httpsPort();
    const target = entry.redirectTo ?? hostname;
    if (port !== null && this.options.servesHttps(target) && (!secure || entry.redirectTo)) {
      return redirect(res, `https://${target}${port === 443 ? '' : `:${port}`}${req.url ?? '/'}`);
    }
    if (entry.redirectTo) return redirect(res, `http://${entry.redirectTo}${portOf(req.headers.host)}${req.url ?? '/'}`);
    return { serve: entry.project };
  }
}

function portOf(host: string | undefined): string {
  const match = /:(\d+)$/.exec(host ?? '');
  return match ? `:${match[1]}` : '';
}

function text(res: ServerResponse, status: number, body: string): 'answered' {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) }).end(body);
  return 'answered';
}

/** 308 keeps the method and body (a form POST stays a POST). */
function redirect(res: ServerResponse, location: string): 'answered' {
  res.writeHead(308, { location, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`Moved to ${location}\n`);
  return 'answered';
}
