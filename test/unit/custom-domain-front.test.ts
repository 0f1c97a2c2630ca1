import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Domain } from '../../src/core/domain.js';
import { CustomDomainFront } from '../../src/adapters/local/server/custom-domain-front.js';
import { http } from '../e2e/local-platform.js';

const domain = (name: string, projectId: string, redirectTo: string | null = null): Domain => ({ name, projectId, redirectTo, manageDns: true, state: 'active', reason: null, records: [], certificate: null, checkedAt: null, activeSince: null, createdAt: '' });

let server: Server;
let port: number;
const loaded = new Set<string>(['shop.example.com']);
const front = new CustomDomainFront({
  keyAuthorization: (token) => (token === 'tok-1' ? 'tok-1.thumbprint' : null),
  servesHttps: (name) => loaded.has(name),
  httpsPort: () => 443,
});

beforeAll(async () => {
  front.replace([domain('shop.example.com', 'p_1'), domain('www.shop.example.com', 'p_1', 'shop.example.com'), domain('blog.example.com', 'p_2')], new Map([['p_1', 'shop'], ['p_2', 'blog']]));
  // A plain HTTP server in front of which the front decides; what it passes on is answered "site <project>".
  server = createServer((req, res) => {
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
    const decided = front.front(req, res, hostname, new URL(req.url ?? '/', 'http://x').pathname);
    if (decided === 'answered') return;
    res.end(decided ? `site ${decided.serve}` : 'platform');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = (host: string, path = '/') => http({ method: 'GET', path, headers: { host }, port });

describe('custom domains in front of the edge (plain HTTP side)', () => {
  it('answers the ACME challenge it is waiting on, on any host, and nothing else there', async () => {
    expect(await get('new.example.org', '/.well-known/acme-challenge/tok-1')).toMatchObject({ status: 200, body: 'tok-1.thumbprint' });
    expect((await get('shop.example.com', '/.well-known/acme-challenge/other')).status).toBe(404);
    expect((await get('new.example.org', '/.well-known/acme-challenge/other')).body).toBe('platform');
  });

  it('redirects a name with its certificate loaded to HTTPS, keeping path and query; serves one without over HTTP', async () => {
    expect(await get('shop.example.com', '/a/b?c=1')).toMatchObject({ status: 308, headers: expect.objectContaining({ location: 'https://shop.example.com/a/b?c=1' }) });
    expect((await get('blog.example.com', '/')).body).toBe('site blog');
  });

  it('sends a www companion to its apex, over HTTPS once the apex has its certificate', async () => {
    expect((await get('www.shop.example.com', '/x')).headers.location).toBe('https://shop.example.com/x');
    loaded.delete('shop.example.com');
    expect((await get(`www.shop.example.com:${port}`, '/x')).headers.location).toBe(`http://shop.example.com:${port}/x`);
    loaded.add('shop.example.com');
  });

  it('answers the probe path with the project, and leaves every other host to the platform', async () => {
    expect((await get('blog.example.com', '/.well-known/anchor-probe')).body).toBe('anchor project blog\n');
    expect((await get('shop.localhost', '/')).body).toBe('platform');
    expect((await get('127.0.0.1', '/webhook/p_1')).body).toBe('platform');
  });
});
