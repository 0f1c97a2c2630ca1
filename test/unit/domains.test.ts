import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideState, nextAction, type Domain, type DomainObservation } from '../../src/core/domain.js';
import { isApex, normaliseDomain, wwwOf } from '../../src/core/domain-name.js';
import { pointsAt, routingRecords } from '../../src/core/use-cases/check-domains.js';
import { retryDelayMs } from '../../src/adapters/local/tls/acme-certificates.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteDomains } from '../../src/adapters/local/store/sqlite-domains.js';
import { parsePublicUrl } from '../../src/commands/flags.js';

describe('domain names', () => {
  it('lower-cases, turns IDNA into punycode and drops the trailing dot', () => {
    expect(normaliseDomain(' Shop.Example.COM. ')).toBe('shop.example.com');
    expect(normaliseDomain('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(normaliseDomain('münchen.de')).toBe('xn--mnchen-3ya.de');
    expect(normaliseDomain('xn--mnchen-3ya.de')).toBe('xn--mnchen-3ya.de');
  });

  it.each([
    ['', 'empty'],
    ['https://shop.example.com', 'letters, digits'],
    ['shop.example.com:8443', 'letters, digits'],
    ['shop.example.com/path', 'letters, digits'],
    ['user@shop.example.com', 'letters, digits'],
    ['*.example.com', 'wildcards'],
    ['localhost', 'two labels'],
    ['shop.localhost', '.localhost'],
    ['printer.local', '.local'],
    ['203.0.113.7', 'IP address'],
    ['-shop.example.com', 'label'],
    ['shop_1.example.com', 'label'],
    ['a..b.com', 'label'],
    [`${'a'.repeat(64)}.com`, 'label'],
    [`${'abcdefghi.'.repeat(26)}com`, '253'],
  ])('refuses %j (%s) with a usage error', (input, why) => {
    expect(() => normaliseDomain(input)).toThrowError(expect.objectContaining({ code: 'DOMAIN_INVALID', kind: 'usage', message: expect.stringContaining(why) }));
  });

  it('knows an apex from a subdomain, and has a www companion only for a name without www', () => {
    expect([isApex('example.com'), isApex('example.co.uk'), isApex('shop.example.com'), isApex('a.b.example.com')]).toEqual([true, true, false, false]);
    expect(wwwOf('example.com')).toBe('www.example.com');
    expect(() => wwwOf('www.example.com')).toThrowError(expect.objectContaining({ code: 'DOMAIN_ALREADY_WWW' }));
  });
});

describe('the state rule', () => {
  const seen = (overrides: Partial<DomainObservation>): DomainObservation => ({
    dns: { ok: true, detail: 'dns ok' },
    certificate: { state: 'issued', detail: 'cert ok' },
    routing: { state: 'serving', detail: 'routing ok' },
    https: { ok: true, detail: 'https ok' },
    ...overrides,
  });
  const fresh = { activeSince: null };
  const wasActive = { activeSince: '2026-01-01T00:00:00.000Z' };

  it('moves along pending_dns → pending_certificate → provisioning → active as each part is measured', () => {
    expect(decideState(fresh, seen({ dns: { ok: false, detail: 'no A record' } }))).toEqual({ state: 'pending_dns', reason: 'no A record' });
    expect(decideState(fresh, seen({ certificate: { state: 'pending', detail: 'ordering' } }))).toEqual({ state: 'pending_certificate', reason: 'ordering' });
    expect(decideState(fresh, seen({ routing: { state: 'updating', detail: 'InProgress' } }))).toEqual({ state: 'provisioning', reason: 'InProgress' });
    expect(decideState(fresh, seen({ https: { ok: false, detail: 'refused' } }))).toEqual({ state: 'provisioning', reason: 'refused' });
    expect(decideState(fresh, seen({}))).toEqual({ state: 'active', reason: null });
  });

  it('a domain that was active and now fails is misconfigured, not pending; conflict and failed win over everything', () => {
    expect(decideState(wasActive, seen({ dns: { ok: false, detail: 'points elsewhere' } }))).toEqual({ state: 'misconfigured', reason: 'points elsewhere' });
    expect(decideState(wasActive, seen({ https: { ok: false, detail: 'expired' } }))).toEqual({ state: 'misconfigured', reason: 'expired' });
    expect(decideState(wasActive, seen({ routing: { state: 'updating', detail: 'InProgress' } })).state).toBe('provisioning');
    expect(decideState(fresh, seen({ dns: { ok: false, detail: 'x' }, routing: { state: 'conflict', detail: 'on E2' } }))).toEqual({ state: 'conflict', reason: 'on E2' });
    expect(decideState(fresh, seen({ dns: { ok: false, detail: 'x' }, certificate: { state: 'failed', detail: 'CAA' } }))).toEqual({ state: 'failed', reason: 'CAA' });
  });

  it('says what to do next in words', () => {
    const domain = { name: 'shop.example.com', state: 'pending_dns' as const, certificate: null, records: [{ name: 'shop.example.com', type: 'CNAME' as const, value: 'anchor.example.net', purpose: 'routing' as const }] };
    expect(nextAction(domain)).toBe('Create CNAME shop.example.com → anchor.example.net at your DNS provider.');
    expect(nextAction({ ...domain, state: 'active', certificate: { issuedAt: '', expiresAt: '2026-09-01T00:00:00.000Z', renewAt: null, renewalFailure: { since: '', error: 'connection refused', nextTryAt: '' } } })).toContain('Renewal is failing (connection refused)');
  });
});

describe('DNS records and answers', () => {
  const local = { host: 'anchor.example.net', addresses: ['203.0.113.7'], apex: 'address' as const, unknown: null };
  const cloudfront = { host: 'd111.cloudfront.net', addresses: ['192.0.2.1'], apex: 'alias' as const, unknown: null };

  it('asks for a CNAME on a subdomain, and A records or an ALIAS on an apex', () => {
    expect(routingRecords('shop.example.com', local)).toEqual([{ name: 'shop.example.com', type: 'CNAME', value: 'anchor.example.net', purpose: 'routing' }]);
    expect(routingRecords('example.com', local)).toEqual([{ name: 'example.com', type: 'A', value: '203.0.113.7', purpose: 'routing' }]);
    expect(routingRecords('example.com', cloudfront)).toEqual([{ name: 'example.com', type: 'ALIAS', value: 'd111.cloudfront.net', purpose: 'routing' }]);
  });

  it('counts a CNAME to the target or an address of it, and says what it saw otherwise', () => {
    expect(pointsAt('shop.example.com', { addresses: ['203.0.113.7'], cname: 'anchor.example.net', error: null }, local).ok).toBe(true);
    expect(pointsAt('example.com', { addresses: ['203.0.113.7'], cname: null, error: null }, local).ok).toBe(true);
    expect(pointsAt('example.com', { addresses: ['198.51.100.1'], cname: null, error: null }, local)).toEqual({ ok: false, detail: 'example.com points at 198.51.100.1, not at anchor.example.net (203.0.113.7).' });
    expect(pointsAt('example.com', { addresses: [], cname: null, error: 'no such name' }, local)).toEqual({ ok: false, detail: 'example.com does not resolve (no such name).' });
    expect(pointsAt('example.com', { addresses: ['203.0.113.7'], cname: null, error: null }, { ...local, unknown: 'start it with --public-url' })).toEqual({ ok: false, detail: 'start it with --public-url' });
  });
});

describe('renewal backoff', () => {
  it('waits 5 minutes after a first failure, twice as long each time, at most 6 hours', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n) / 60_000)).toEqual([5, 10, 20, 40, 360]);
  });
});

describe('--public-url', () => {
  it('keeps the origin of a URL and refuses paths, credentials and other schemes', () => {
    expect(parsePublicUrl('https://Anchor.Example.com/')).toBe('https://anchor.example.com');
    expect(parsePublicUrl('http://203.0.113.7:8080')).toBe('http://203.0.113.7:8080');
    for (const bad of ['anchor.example.com', 'ftp://anchor.example.com', 'https://anchor.example.com/hooks', 'https://u:p@anchor.example.com', 'https://anchor.example.com/?a=1', 'https://localhost']) {
      expect(() => parsePublicUrl(bad), bad).toThrowError(expect.objectContaining({ code: 'FLAG_INVALID', kind: 'usage' }));
    }
  });
});

describe('SqliteDomains', () => {
  let dir: string;
  let db: SqliteDatabase;
  let domains: SqliteDomains;
  const domain = (name: string, projectId: string): Domain => ({ name, projectId, redirectTo: null, manageDns: true, state: 'pending_dns', reason: null, records: [], certificate: null, checkedAt: null, activeSince: null, createdAt: '2026-01-01T00:00:00.000Z' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'anchor-domains-'));
    db = openDatabase(join(dir, 'anchor.db'));
    for (const id of ['p_1', 'p_2']) db.prepare("INSERT INTO projects (id, name, repo, branch, root, webhook_secret, created_at) VALUES (?, ?, '{}', 'main', '', 's', '')").run(id, id.replace('_', ''));
    domains = new SqliteDomains(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds a name for one project only, all or nothing', async () => {
    await domains.add([domain('shop.example.com', 'p_1')]);
    await expect(domains.add([domain('www.example.com', 'p_2'), domain('shop.example.com', 'p_2')])).rejects.toMatchObject({ code: 'DOMAIN_TAKEN', kind: 'conflict' });
    expect(await domains.get('www.example.com')).toBeNull();
    expect((await domains.get('shop.example.com'))?.projectId).toBe('p_1');
  });

  it('never brings back a domain removed while it was being checked, and goes with its project', async () => {
    await domains.add([domain('shop.example.com', 'p_1'), domain('docs.example.com', 'p_2')]);
    await domains.remove('shop.example.com');
    await domains.save({ ...domain('shop.example.com', 'p_1'), state: 'active' });
    expect(await domains.get('shop.example.com')).toBeNull();
    db.prepare("DELETE FROM projects WHERE id = 'p_2'").run();
    expect(await domains.list()).toEqual([]);
  });
});
