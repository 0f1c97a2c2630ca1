import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnchorError } from '../../src/core/errors.js';
import { DEFAULT_OWNER_ID, type Access, type TokenRecord } from '../../src/core/ports/access.js';
import type { Projects } from '../../src/core/ports/projects.js';
import { ensureProjects, rejectionOf } from './samples.js';

export interface AccessSubject {
  access: Access;
  /** The same store's projects, where an assignment needs its project to exist (SQLite). */
  projects?: Projects;
  cleanup(): Promise<void>;
}

function token(id: string, ownerId: string, extra: Partial<TokenRecord> = {}): TokenRecord {
  return { id, ownerId, name: `n-${id}`, hash: `h-${id}`.padEnd(64, '0'), scope: 'deploy', projectId: null, createdAt: `2025-01-01T00:00:0${id.length % 10}.000Z`, expiresAt: '2025-04-01T00:00:00.000Z', lastUsedAt: null, revokedAt: null, ...extra };
}

export function describeAccessContract(name: string, makeAdapter: () => Promise<AccessSubject>): void {
  describe(`Access contract: ${name}`, () => {
    let s: AccessSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('has the default owner, owning every project never assigned', async () => {
      expect(await s.access.getOwner(DEFAULT_OWNER_ID)).toMatchObject({ id: DEFAULT_OWNER_ID, name: 'default' });
      expect(await s.access.findOwner('default')).toMatchObject({ id: DEFAULT_OWNER_ID });
      expect(await s.access.ownerOf('p_never_assigned')).toBe(DEFAULT_OWNER_ID);
    });

    it('keeps owner names unique, writing nothing for a second one', async () => {
      await s.access.createOwner({ id: 'o_a', name: 'acme', createdAt: '2025-01-01T00:00:00.000Z' });
      const error = await rejectionOf(s.access.createOwner({ id: 'o_b', name: 'acme', createdAt: '2025-01-01T00:00:00.000Z' }));
      expect(error).toBeInstanceOf(AnchorError);
      expect((error as AnchorError).code).toBe('OWNER_EXISTS');
      expect(await s.access.getOwner('o_b')).toBeNull();
      expect(await s.access.findOwner('acme')).toEqual({ id: 'o_a', name: 'acme', createdAt: '2025-01-01T00:00:00.000Z' });
      expect((await s.access.listOwners()).map((o) => o.name)).toEqual(['acme', 'default']);
    });

    it('assigns projects to owners, and moves them', async () => {
      await ensureProjects(s.projects, ['p_1']);
      await s.access.assign('p_1', 'o_a');
      expect(await s.access.ownerOf('p_1')).toBe('o_a');
      await s.access.assign('p_1', 'o_b');
      expect(await s.access.ownerOf('p_1')).toBe('o_b');
    });

    it('finds tokens by hash and id, lists them per owner, records last use, revokes once', async () => {
      const a = token('t_a', 'o_a');
      await s.access.createToken(a);
      await s.access.createToken(token('t_bb', 'o_b', { projectId: 'p_1', scope: 'read' }));
      expect(await s.access.tokenByHash(a.hash)).toEqual(a);
      expect(await s.access.tokenByHash('f'.repeat(64))).toBeNull();
      expect(await s.access.getToken('t_bb')).toMatchObject({ ownerId: 'o_b', projectId: 'p_1', scope: 'read' });
      expect((await s.access.listTokens('o_a')).map((t) => t.id)).toEqual(['t_a']);
      expect((await s.access.listTokens(null)).map((t) => t.id).sort()).toEqual(['t_a', 't_bb']);
      await s.access.touchToken('t_a', '2025-01-02T00:00:00.000Z');
      expect((await s.access.getToken('t_a'))?.lastUsedAt).toBe('2025-01-02T00:00:00.000Z');
      expect(await s.access.revokeToken('t_a', '2025-01-03T00:00:00.000Z')).toBe(true);
      expect(await s.access.revokeToken('t_a', '2025-01-04T00:00:00.000Z')).toBe(false);
      expect(await s.access.revokeToken('t_unknown', '2025-01-04T00:00:00.000Z')).toBe(false);
      expect((await s.access.tokenByHash(a.hash))?.revokedAt).toBe('2025-01-03T00:00:00.000Z');
    });

    it('stores sessions by hash and removes them', async () => {
      const session = { hash: 's'.repeat(64), ownerId: 'o_a', scope: 'admin' as const, projectId: null, tokenId: null, csrf: 'c'.repeat(32), createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T12:00:00.000Z' };
      await s.access.createSession(session);
      expect(await s.access.sessionByHash(session.hash)).toEqual(session);
      await s.access.removeSession(session.hash);
      expect(await s.access.sessionByHash(session.hash)).toBeNull();
    });

    it('hands a sign-in code out once, and never after it expired', async () => {
      await s.access.createCode({ hash: 'a'.repeat(64), ownerId: 'o_a', expiresAt: '2025-01-01T00:05:00.000Z' });
      await s.access.createCode({ hash: 'b'.repeat(64), ownerId: 'o_a', expiresAt: '2025-01-01T00:05:00.000Z' });
      const both = await Promise.all([s.access.consumeCode('a'.repeat(64), '2025-01-01T00:01:00.000Z'), s.access.consumeCode('a'.repeat(64), '2025-01-01T00:01:00.000Z')]);
      expect(both.filter((c) => c !== null)).toEqual([{ hash: 'a'.repeat(64), ownerId: 'o_a', expiresAt: '2025-01-01T00:05:00.000Z' }]);
      expect(await s.access.consumeCode('b'.repeat(64), '2025-01-01T00:05:00.000Z')).toBeNull();
    });
  });
}
