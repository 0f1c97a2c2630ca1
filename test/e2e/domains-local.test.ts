import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/ports/index.js';
import type { DomainState } from '../../src/core/domain.js';
import { addDomain, listDomains, removeDomain, verifyDomain, type DomainDeps } from '../../src/core/use-cases/domains.js';
import { rollback } from '../../src/core/use-cases/rollback.js';
import { tlsPaths } from '../../src/adapters/local/tls/domain-serving.js';
import { FakeDnsServer } from '../fakes/dns-server.js';
import { freePort, PebbleCa } from '../fakes/pebble.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { http, LocalPlatformHarness, type HttpAnswer } from './local-platform.js';

const DOMAIN = 'shop.example.com';

/** The system clock, moved on by `offsetMs` (renewal is due at two thirds of a certificate's lifetime). */
class MovableClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}

let dns: FakeDnsServer;
let pebble: PebbleCa;
let root: string;
let platform: LocalPlatformHarness;
const clock = new MovableClock();
let deps: DomainDeps;

/** An HTTPS request to the domain as a browser would make it: SNI and Host are the name; DNS says 127.0.0.1. */
function https(path: string, options: { agent?: Agent; name?: string } = {}): Promise<HttpAnswer & { socket: TLSSocket; reused: boolean }> {
  const name = options.name ?? DOMAIN;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: name, port: platform.server.httpsPort ?? 0, path, ca: root, agent: options.agent ?? false, lookup: (_h, _o, done) => done(null, [{ address: '127.0.0.1', family: 4 }]) },
      (res) => {
        // Taken now: a keep-alive agent detaches the socket from the response once it ends.
        const socket = res.socket as TLSSocket;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), socket, reused: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A bare TLS handshake with `servername`: the certificate presented, or the error. */
function handshake(servername: string): Promise<{ serial: string; authorized: boolean } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: platform.server.httpsPort ?? 0, servername, ca: root }, () => {
      resolve({ serial: socket.getPeerCertificate().serialNumber, authorized: socket.authorized });
      socket.end();
    });
    socket.on('error', (error) => resolve({ error: error.message }));
  });
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}\n${platform.serverLog.slice(-15).join('')}\n${pebble.log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stateOf = async (name = DOMAIN): Promise<DomainState | undefined> => (await deps.domains.get(name))?.state;

beforeAll(async () => {
  dns = await new FakeDnsServer().start();
  dns.set('anchor.test', 'A', ['127.0.0.1']);
  pebble = await PebbleCa.prepare();
  // Pebble fetches HTTP-01 challenges from anchor server's HTTP port: pick it first.
  const httpPort = await freePort();
  await pebble.start({ httpPort, dnsServer: dns.address });
  root = await pebble.root();
  platform = new LocalPlatformHarness();
  await platform.start({
    port: httpPort,
    // The probe trusts Pebble's root the way a visitor's browser trusts Let's Encrypt's.
    domains: { httpsPort: 0, publicUrl: 'http://anchor.test', acmeDirectory: pebble.directoryUrl, acmeDirectoryCa: pebble.listenerCa, acmePollMs: 100, trustedCa: [root], dnsServers: [dns.address], tickMs: 100, clock },
  });
  deps = { ...platform.server.ports, ...platform.server.domains.ports };
  const v1 = platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first');
  expect(await platform.waitFor((await platform.push(v1)).json.deploymentId ?? '', ['live', 'failed'])).toBe('live');
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await pebble?.stop();
  await dns?.close();
});

describe('a custom domain on the local platform, certified by Pebble', () => {
  it('waits for DNS, then gets a certificate from the CA and serves the live site over HTTPS with SNI', async () => {
    const added = await addDomain(deps, { project: 'shop', domain: 'Shop.Example.COM.', www: 'none', manageDns: true });
    expect(added.added).toEqual([DOMAIN]);
    const [domain] = added.domains;
    expect(domain).toMatchObject({ name: DOMAIN, state: 'pending_dns', records: [{ type: 'CNAME', name: DOMAIN, value: 'anchor.test', purpose: 'routing' }] });
    expect(domain?.reason).toContain('does not resolve');
    // Nothing is ordered for a name that does not point here yet.
    expect(existsSync(join(tlsPaths(join(platform.home, 'platform')).certificates, DOMAIN, 'certificate.pem'))).toBe(false);

    dns.set(DOMAIN, 'CNAME', ['anchor.test']);
    // The server rechecks a pending_dns name every 15 s; a test does not wait for that.
    await platform.server.domains.reconciler.refresh();
    await until('active', () => stateOf(), (s) => s === 'active');
    const page = await https('/hello');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>v1</h1>');
    expect(page.body).toContain(`<p id=host>${DOMAIN}:${platform.server.httpsPort}</p>`);
    // The chain the server sends verifies against Pebble's root (and only because of it).
    expect(page.socket.authorized).toBe(true);
    const leaf = new X509Certificate(page.socket.getPeerCertificate(true).raw);
    expect(leaf.subjectAltName).toBe(`DNS:${DOMAIN}`);
    expect(leaf.issuer).toContain('Pebble');
    const [listed] = await listDomains(deps, { project: 'shop' });
    expect(listed).toMatchObject({ state: 'active', project: 'shop', nextAction: 'Nothing: served over HTTPS.' });
    expect(Date.parse(listed?.certificate?.expiresAt ?? '')).toBe(Date.parse(leaf.validTo));
  }, 60_000);

  it('keeps the private key 0600 in a 0700 folder', async () => {
    const { statSync } = await import('node:fs');
    const certs = tlsPaths(join(platform.home, 'platform')).certificates;
    expect(statSync(join(certs, DOMAIN, 'certificate.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(certs).mode & 0o777).toBe(0o700);
  });

  it('redirects HTTP to HTTPS, except the ACME challenge path', async () => {
    const plain = await http({ method: 'GET', path: '/pricing?x=1', headers: { host: DOMAIN }, port: platform.server.port });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`https://${DOMAIN}:${platform.server.httpsPort}/pricing?x=1`);
    const challenge = await http({ method: 'GET', path: '/.well-known/acme-challenge/unknown-token', headers: { host: DOMAIN }, port: platform.server.port });
    expect(challenge.status).toBe(404);
    expect(challenge.headers.location).toBeUndefined();
    // *.localhost is served over HTTP as before.
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
  });

  it('shows a new deployment and a rollback over HTTPS', async () => {
    const v2 = platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'second');
    expect(await platform.waitFor((await platform.push(v2)).json.deploymentId ?? '', ['live', 'failed'])).toBe('live');
    expect((await https('/')).body).toContain('<h1>v2</h1>');
    await rollback(platform.server.ports, { project: 'shop' });
    expect((await https('/')).body).toContain('<h1>v1</h1>');
  }, 60_000);

  it('passes every item of domains verify', async () => {
    const verified = await verifyDomain(deps, { domain: DOMAIN });
    expect(verified.items.map((i) => [i.check, i.ok])).toEqual([
      ['dns', true],
      ['certificate', true],
      ['routing', true],
      ['https', true],
    ]);
  });

  it('never presents or orders a certificate for a name no project holds', async () => {
    expect(await handshake('evil.example.com')).toHaveProperty('error');
    const certs = tlsPaths(join(platform.home, 'platform')).certificates;
    expect(existsSync(join(certs, 'evil.example.com'))).toBe(false);
    // A Host that is not the connection's SNI name is refused rather than served.
    const misdirected = await new Promise<number>((resolve, reject) => {
      const req = request({ host: DOMAIN, servername: DOMAIN, port: platform.server.httpsPort ?? 0, path: '/', ca: root, agent: false, headers: { host: 'other.example.com' }, lookup: (_h, _o, done) => done(null, [{ address: '127.0.0.1', family: 4 }]) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(misdirected).toBe(421);
  });

  it('renews at two thirds of the lifetime without dropping an open keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: root });
    const first = await https('/', { agent });
    const before = first.socket.getPeerCertificate().serialNumber;
    const renewAt = Date.parse((await deps.domains.get(DOMAIN))?.certificate?.renewAt ?? '');
    clock.offsetMs = renewAt - Date.now() + 60_000;
    await platform.server.domains.reconciler.refresh();
    const renewed = await until('a renewed certificate', () => handshake(DOMAIN), (h) => 'serial' in h && h.serial !== before);
    expect(renewed).toMatchObject({ authorized: true });
    // The connection opened before the renewal is still open and still answers.
    const again = await https('/', { agent });
    expect(again.reused).toBe(true);
    expect(again.socket).toBe(first.socket);
    expect(again.body).toContain('<h1>v1</h1>');
    agent.destroy();
    expect(platform.serverLog.join('')).toMatch(new RegExp(`renewal for ${DOMAIN.replace(/\./g, '\\.')}: issued by`));
    expect((await deps.domains.get(DOMAIN))?.state).toBe('active');
  }, 60_000);

  it('stops serving a removed domain and deletes its certificate', async () => {
    const removed = await removeDomain(deps, { domain: DOMAIN });
    expect(removed).toEqual({ removed: [DOMAIN], project: 'shop' });
    await until('the handshake to fail', () => handshake(DOMAIN), (h) => 'error' in h);
    // The server's host table follows the store on its next tick (a removal may come from another process).
    const plain = await until('plain HTTP to stop serving it', () => http({ method: 'GET', path: '/', headers: { host: DOMAIN }, port: platform.server.port }), (answer) => answer.status !== 200, 10_000);
    expect(plain.status).toBe(404);
    expect(plain.body).not.toContain('<h1>');
    expect(existsSync(join(tlsPaths(join(platform.home, 'platform')).certificates, DOMAIN))).toBe(false);
  });
});
