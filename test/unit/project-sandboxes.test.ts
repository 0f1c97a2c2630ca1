import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import { testSandboxes } from '../fakes/test-sandboxes.js';

const isolation = readIsolationFacts(process.env.PATH);

/** Runs `code` as `identity` (a project's uid); returns what it printed. */
function runAs(identity: { uid: number; gid: number }, code: string): string {
  const result = spawnSync(process.execPath, ['-e', code], { uid: identity.uid, gid: identity.gid, encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim();
}

const attempt = (what: string) => `try { ${what}; console.log('done') } catch (e) { console.log(e.code) }`;

describe('ProjectSandboxes with a uid per project, without bubblewrap', () => {
  it.skipIf(!isolation.isRoot)('lets the project write its home and tools, and change nothing where the server lays its deployments out', async () => {
    const sandbox = testSandboxes('uid');
    try {
      const box = await sandbox.sandboxes.forProject('shop');
      if (box.identity === null) throw new Error('uid isolation gave the project no uid');
      const area = dirname(box.runtime);
      const fs = "require('node:fs')";
      expect(runAs(box.identity, attempt(`${fs}.writeFileSync(${JSON.stringify(join(box.home, 'x'))}, 'x')`))).toBe('done');
      expect(runAs(box.identity, attempt(`${fs}.writeFileSync(${JSON.stringify(join(box.tools, 'x'))}, 'x')`))).toBe('done');
      // A site or a build as this uid could otherwise swap the runtime folder, or a deployment's
      // folder being laid out, for a link while the server writes into it with its own rights.
      expect(runAs(box.identity, attempt(`${fs}.renameSync(${JSON.stringify(box.runtime)}, ${JSON.stringify(join(area, 'moved'))})`))).toBe('EACCES');
      expect(runAs(box.identity, attempt(`${fs}.symlinkSync('/etc', ${JSON.stringify(join(box.runtime, 'd_next'))})`))).toBe('EACCES');
      expect(runAs(box.identity, attempt(`${fs}.mkdirSync(${JSON.stringify(join(area, 'mine'))})`))).toBe('EACCES');
      // It still reaches what is its own inside; another project does not even pass.
      expect(runAs(box.identity, attempt(`${fs}.readdirSync(${JSON.stringify(box.home)})`))).toBe('done');
      const other = await sandbox.sandboxes.forProject('blog');
      if (other.identity === null) throw new Error('uid isolation gave the project no uid');
      expect(runAs(other.identity, attempt(`${fs}.statSync(${JSON.stringify(box.home)})`))).toBe('EACCES');
      expect(runAs(other.identity, attempt(`${fs}.statSync(${JSON.stringify(box.runtime)})`))).toBe('EACCES');
    } finally {
      await sandbox.close(['shop', 'blog']);
    }
  });

  it.skipIf(!isolation.isRoot)('replaces a link the project left in place of its runtime folder, without touching what it led to', async () => {
    const sandbox = testSandboxes('uid');
    const elsewhere = mkdtempSync(join(tmpdir(), 'anchor-elsewhere-'));
    try {
      const first = await sandbox.sandboxes.forProject('shop');
      if (first.identity === null) throw new Error('uid isolation gave the project no uid');
      // As an older anchor left it: the area the project's own, so it could do this.
      rmSync(first.runtime, { recursive: true, force: true });
      symlinkSync(elsewhere, first.runtime);
      mkdirSync(join(elsewhere, 'inside'));
      const before = statSync(elsewhere);

      const again = await sandbox.restarted().forProject('shop');
      expect(lstatSync(again.runtime).isDirectory()).toBe(true);
      expect(statSync(elsewhere)).toMatchObject({ uid: before.uid, mode: before.mode });
      expect(lstatSync(join(elsewhere, 'inside')).isDirectory()).toBe(true);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
      await sandbox.close(['shop']);
    }
  });
});
