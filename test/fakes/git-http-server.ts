/**
 * A private git repository over smart HTTP on loopback, as GitHub serves one: git's own
 * `git http-backend` (CGI) behind a Node HTTP server that answers 401 with a Basic challenge
 * unless the request carries the token as its password (any user name, as GitHub takes
 * `x-access-token`). Every request is recorded with what it authenticated as.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, basename } from 'node:path';

export interface GitHttpServer {
  /** The clone URL of the repository, e.g. http://127.0.0.1:4321/acme/shop.git */
  url: string;
  requests: Array<{ method: string; path: string; status: number; user: string | null; password: string | null }>;
  close(): Promise<void>;
}

const BACKEND = ['/usr/lib/git-core/git-http-backend', '/usr/libexec/git-core/git-http-backend'].find((path) => existsSync(path));

export const gitHttpBackendAvailable = BACKEND !== undefined;

/** Serves the repository at `repoDir` (a work tree; its .git is what is served) as `/<owner>/<name>.git`. */
export async function startGitHttpServer(options: { repoDir: string; token: string; path?: string }): Promise<GitHttpServer> {
  if (!BACKEND) throw new Error('git http-backend is not installed');
  const served = options.path ?? '/acme/shop.git';
  const requests: GitHttpServer['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [user = null, password = null] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s) : [];
    const record = { method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, status: 0, user, password };
    requests.push(record);
    if (password !== options.token) {
      record.status = 401;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' }).end('Invalid username or token.');
      return;
    }
    if (!url.pathname.startsWith(`${served}/`)) {
      record.status = 404;
      res.writeHead(404).end('Repository not found.');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const cgi = spawn(BACKEND, [], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          GIT_PROJECT_ROOT: dirname(options.repoDir),
          GIT_HTTP_EXPORT_ALL: '1',
          PATH_INFO: `/${basename(options.repoDir)}/.git${url.pathname.slice(served.length)}`,
          QUERY_STRING: url.search.replace(/^\?/, ''),
          REQUEST_METHOD: req.method ?? 'GET',
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          CONTENT_LENGTH: String(body.length),
          HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
          GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
          REMOTE_USER: user ?? '',
          REMOTE_ADDR: '127.0.0.1',
        },
      });
      const out: Buffer[] = [];
      cgi.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      cgi.on('close', () => {
        const raw = Buffer.concat(out);
        const split = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
        const gap = raw.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of raw.subarray(0, split).toString('latin1').split(/\r?\n/)) {
          const [name = '', value = ''] = line.split(/:\s*(.*)/s);
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
          else if (name) headers[name] = value;
        }
        record.status = status;
        res.writeHead(status, headers).end(raw.subarray(split + gap));
      });
      cgi.stdin.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${served}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
