import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDnsServer } from '../fakes/dns-server.js';
import { BIN, runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let dns: FakeDnsServer;
const cli = (args: string[]) => runCli(args, { home: home.dir, env: { ANCHOR_DNS_SERVERS: dns.address } });

interface DomainJson {
  name: string;
  state: string;
  reason: string | null;
  records: Array<{ name: string; type: string; value: string; purpose: string }>;
  nextAction: string;
}

beforeAll(async () => {
  home = tempHome();
  dns = await new FakeDnsServer().start();
  dns.set('anchor.test', 'A', ['127.0.0.1']);
  for (const name of ['shop', 'blog']) mkdirSync(join(home.dir, name));
  expect((await cli(['init', '--local', '--public-url', 'http://Anchor.test:8080/'])).code).toBe(0);
  for (const name of ['shop', 'blog']) expect((await cli(['projects', 'add', name, '--repo', join(home.dir, name)])).code).toBe(0);
});

afterAll(async () => {
  await dns.close();
  home.cleanup();
});

describe('anchor domains on a local platform', () => {
  it('--public-url is the base of the webhook URL projects get', async () => {
    const shown = await cli(['projects', 'show', 'shop', '--json']);
    expect(shown.json<{ webhook: { url: string } }>().webhook.url).toMatch(/^http:\/\/anchor\.test:8080\/webhook\/p_/);
  });

  it('anchor server prints webhook URLs at the public URL it is given, and remembers it for projects add', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1', ANCHOR_DNS_SERVERS: dns.address };
    // An ACME directory nothing answers at: this test must not reach out to Let's Encrypt for the public host.
    const server = spawn(process.execPath, [BIN, 'server', '--port', '0', '--https-port', '0', '--public-url', 'https://hooks.example.com', '--acme-directory', 'https://127.0.0.1:9/dir', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const started = await new Promise<{ publicUrl: string; https: { port: number | null }; projects: Array<{ name: string; webhook: string }> }>((resolve, reject) => {
        let out = '';
        server.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          try {
            resolve(JSON.parse(out));
          } catch {
            // Not the whole document yet.
          }
        });
        server.once('exit', (code) => reject(new Error(`anchor server exited with ${code}`)));
      });
      expect(started.publicUrl).toBe('https://hooks.example.com');
      expect(started.https.port).toBeGreaterThan(0);
      expect(started.projects.find((p) => p.name === 'shop')?.webhook).toMatch(/^https:\/\/hooks\.example\.com\/webhook\/p_/);
      const shown = await cli(['projects', 'show', 'shop', '--json']);
      expect(shown.json<{ webhook: { url: string } }>().webhook.url).toMatch(/^https:\/\/hooks\.example\.com\/webhook\/p_/);
    } finally {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    // Back to the URL the other tests expect.
    expect((await cli(['init', '--local', '--public-url', 'http://anchor.test:8080'])).code).toBe(0);
  });

  it('add normalises the name, records it and prints the DNS records to create', async () => {
    const result = await cli(['domains', 'add', 'Shop.Example.COM.', '--project', 'shop', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = result.json<{ added: string[]; domains: DomainJson[] }>();
    expect(out.added).toEqual(['shop.example.com']);
    expect(out.domains[0]).toMatchObject({ name: 'shop.example.com', state: 'pending_dns', records: [{ name: 'shop.example.com', type: 'CNAME', value: 'anchor.test', purpose: 'routing' }] });
    expect(out.domains[0]?.reason).toContain('does not resolve');
    const human = await cli(['domains', 'add', 'docs.example.com', '--project', 'shop']);
    expect(human.stdout).toMatch(/TYPE\s+NAME\s+VALUE\s+FOR\n\s+CNAME\s+docs\.example\.com\s+anchor\.test\s+routing/);
  });

  it('refuses a name another project holds (exit 4), a name that is no domain (exit 2), an unknown project (exit 3)', async () => {
    const taken = await cli(['domains', 'add', 'shop.example.com', '--project', 'blog']);
    expect(taken.code).toBe(4);
    expect(taken.stderr).toContain('already belongs to project "shop"');
    const invalid = await cli(['domains', 'add', 'https://blog.example.com/', '--project', 'blog']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('no scheme, port or path');
    expect((await cli(['domains', 'add', 'blog.example.com', '--project', 'nope'])).code).toBe(3);
    expect((await cli(['domains', 'add', 'blog.example.com', '--project', 'blog', '--redirect-www', '--with-www'])).code).toBe(2);
  });

  it('verify measures now and says what to fix; it exits 7 while a check fails', async () => {
    const pending = await cli(['domains', 'verify', 'shop.example.com']);
    expect(pending.code).toBe(7);
    expect(pending.stdout).toMatch(/✖ dns\s+shop\.example\.com does not resolve/);
    expect(pending.stdout).toContain('→ Create CNAME shop.example.com → anchor.test at your DNS provider');
    dns.set('shop.example.com', 'CNAME', ['anchor.test']);
    const pointed = await cli(['domains', 'verify', 'shop.example.com', '--json']);
    expect(pointed.code).toBe(7);
    const items = pointed.json<{ error: { details: { items: Array<{ check: string; ok: boolean }> } } }>().error.details.items;
    expect(items.map((i) => [i.check, i.ok])).toEqual([
      ['dns', true],
      ['certificate', false],
      ['routing', false],
      ['https', false],
    ]);
  });

  it('ls shows each domain with its project, state, last check and the next action', async () => {
    const listed = await cli(['domains', 'ls', '--json']);
    const domains = listed.json<{ domains: Array<DomainJson & { project: string }> }>().domains;
    expect(domains.map((d) => [d.name, d.project, d.state])).toEqual([
      ['docs.example.com', 'shop', 'pending_dns'],
      ['shop.example.com', 'shop', 'pending_dns'],
    ]);
    const human = await cli(['domains', 'ls', '--project', 'shop']);
    expect(human.stdout).toMatch(/DOMAIN\s+PROJECT\s+STATE\s+CERTIFICATE\s+CHECKED\s+NEXT/);
    expect(human.stdout).toMatch(/shop\.example\.com\s+shop\s+pending_dns\s+-\s+\d+s ago\s+Create CNAME/);
  });

  it('--redirect-www adds the www companion, and rm takes it with its apex', async () => {
    const added = await cli(['domains', 'add', 'blog.example.com', '--project', 'blog', '--redirect-www', '--json']);
    expect(added.json<{ added: string[] }>().added).toEqual(['blog.example.com', 'www.blog.example.com']);
    expect((await cli(['domains', 'rm', 'blog.example.com'])).code).toBe(2);
    const removed = await cli(['domains', 'rm', 'blog.example.com', '--yes', '--json']);
    expect(removed.json()).toEqual({ removed: ['blog.example.com', 'www.blog.example.com'], project: 'blog' });
    expect((await cli(['domains', 'rm', 'blog.example.com', '--yes'])).code).toBe(3);
  });
});
