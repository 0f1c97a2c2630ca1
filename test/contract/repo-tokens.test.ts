import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SsmRepoTokens } from '../../src/adapters/aws/ssm-repo-tokens.js';
import { AesSecretBox } from '../../src/adapters/local/store/aes-secret-box.js';
import { openDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteProjects } from '../../src/adapters/local/store/sqlite-projects.js';
import { SqliteRepoTokens } from '../../src/adapters/local/store/sqlite-repo-tokens.js';
import type { RepoTokens } from '../../src/core/ports/repo-tokens.js';
import { mockSsm } from '../aws/sdk-mocks.js';
import { memoryPorts } from '../fakes/memory/memory-ports.js';
import { MemoryRepoTokens } from '../fakes/memory/memory-system.js';
import { addProject, removeProject } from '../../src/core/use-cases/projects.js';
import { sampleProject } from './samples.js';

/** The RepoTokens contract (src/core/ports/repo-tokens.ts), on every adapter. */
interface Subject {
  tokens: RepoTokens;
  cleanup(): Promise<void>;
}

const shop = { id: 'p_shop', name: 'shop' };
const blog = { id: 'p_blog', name: 'blog' };
const TOKEN = 'ghp_ContractToken0000000000000000000000000';

function describeRepoTokensContract(name: string, make: () => Promise<Subject>): void {
  describe(`RepoTokens contract: ${name}`, () => {
    let s: Subject;
    beforeEach(async () => {
      s = await make();
    });
    afterEach(() => s.cleanup());

    it('gives back the token last set, per project, and null for a project without one', async () => {
      await s.tokens.set(shop, TOKEN);
      await s.tokens.set(shop, `${TOKEN}2`);
      expect(await s.tokens.get(shop)).toBe(`${TOKEN}2`);
      expect(await s.tokens.get(blog)).toBeNull();
    });

    it('forgets a removed token, and removing twice is harmless', async () => {
      await s.tokens.set(shop, TOKEN);
      await s.tokens.set(blog, `${TOKEN}B`);
      await s.tokens.remove(shop);
      await s.tokens.remove(shop);
      expect(await s.tokens.get(shop)).toBeNull();
      expect(await s.tokens.get(blog)).toBe(`${TOKEN}B`);
    });
  });
}

describeRepoTokensContract('SqliteRepoTokens', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'anchor-repo-tokens-'));
  const db = openDatabase(join(dir, 'anchor.db'));
  const projects = new SqliteProjects(db);
  for (const p of [shop, blog]) await projects.create(sampleProject(p.id, { name: p.name }));
  return {
    tokens: new SqliteRepoTokens({ db, secrets: new AesSecretBox(randomBytes(32)), now: () => new Date() }),
    cleanup: async () => {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeRepoTokensContract('SsmRepoTokens (aws-sdk-client-mock)', async () => {
  const { client, mock } = mockSsm();
  return { tokens: new SsmRepoTokens({ ssm: client, stage: 'dev' }), cleanup: async () => void mock.restore() };
});

describeRepoTokensContract('MemoryRepoTokens', async () => ({ tokens: new MemoryRepoTokens(), cleanup: async () => {} }));

describe('where each adapter keeps a token', () => {
  it('SQLite: sealed, never in plain text; it goes with its project', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'anchor-repo-tokens-'));
    const db = openDatabase(join(dir, 'anchor.db'));
    try {
      const projects = new SqliteProjects(db);
      await projects.create(sampleProject(shop.id, { name: shop.name }));
      const tokens = new SqliteRepoTokens({ db, secrets: new AesSecretBox(randomBytes(32)), now: () => new Date() });
      await tokens.set(shop, TOKEN);
      expect(JSON.stringify(db.prepare('SELECT * FROM project_github_tokens').all())).not.toContain(TOKEN);
      await projects.remove(shop.id);
      expect(db.prepare('SELECT COUNT(*) AS n FROM project_github_tokens').get()).toEqual({ n: 0 });
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('SSM: a SecureString at /anchor/<stage>/<project>/github-token, the name CodeBuild and the build role use', async () => {
    const { client, mock, parameters } = mockSsm();
    try {
      await new SsmRepoTokens({ ssm: client, stage: 'dev' }).set(shop, TOKEN);
      expect([...parameters.entries()]).toEqual([['/anchor/dev/shop/github-token', { value: TOKEN, type: 'SecureString' }]]);
    } finally {
      mock.restore();
    }
  });

  it('projects rm on aws deletes the SSM parameter with the project', async () => {
    const { client, mock, parameters } = mockSsm();
    try {
      const ports = { ...memoryPorts(), repoTokens: new SsmRepoTokens({ ssm: client, stage: 'dev' }) };
      const { project } = await addProject({ ...ports, repoHooks: null }, { name: 'shop', repo: { kind: 'github', owner: 'acme', name: 'shop', url: 'https://github.com/acme/shop.git' }, branch: 'main', root: '', webhookBaseUrl: 'https://api.example.com', githubToken: TOKEN });
      expect(parameters.has('/anchor/dev/shop/github-token')).toBe(true);
      await removeProject(ports, { name: project.name });
      expect([...parameters.keys()]).toEqual([]);
    } finally {
      mock.restore();
    }
  });
});
