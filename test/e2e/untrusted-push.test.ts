import { chmodSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addProject } from '../../src/core/use-cases/projects.js';
import { signPayload } from '../../src/core/webhook-signature.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
afterEach(async () => platform.stop());

const count = async (projectId = platform.project.id) => (await platform.server.ports.deployments.listByProject(projectId, { limit: 1000 })).length;

describe('a signed push with values git would run', () => {
  it('an after, before or ref that is not a commit id or ref name is 400, creates nothing and runs nothing', async () => {
    platform = await new LocalPlatformHarness().start();
    const pwned = join(platform.home, 'pwned');
    const upload = `--upload-pack=touch ${pwned};git-upload-pack`;
    const payloads = [
      pushPayload({ ref: 'refs/heads/main', after: upload }),
      pushPayload({ ref: 'refs/heads/main', after: 'A'.repeat(40) }),
      pushPayload({ ref: 'refs/heads/main', after: `${'a'.repeat(40)} ` }),
      { ...pushPayload({ ref: 'refs/heads/main', after: 'a'.repeat(40) }), before: upload },
      pushPayload({ ref: upload, after: 'a'.repeat(40) }),
      pushPayload({ ref: 'refs/heads/main --upload-pack=x', after: 'a'.repeat(40) }),
      pushPayload({ ref: 'refs/heads/ma..in', after: 'a'.repeat(40) }),
    ];
    for (const payload of payloads) {
      const delivery = signedDelivery(platform.webhookSecret, payload);
      const answer = await platform.post(`/webhook/${platform.project.id}`, delivery.body, delivery.headers);
      expect(answer.status, answer.body).toBe(400);
      expect(JSON.parse(answer.body).message).toMatch(/not a GitHub push payload: (ref|after|before)/);
    }
    // Give a build that should not exist every chance to have run.
    await new Promise((r) => setTimeout(r, 500));
    expect(await count()).toBe(0);
    expect(existsSync(pwned)).toBe(false);
    // A SHA-256 repository's 64-digit commit id is a commit id.
    expect((await platform.push('b'.repeat(64))).status).toBe(202);
  });

  it('a push for another GitHub repository than the project\'s is 400 and builds nothing', async () => {
    platform = await new LocalPlatformHarness().start();
    await platform.server.worker.stop();
    const { project, webhook } = await addProject(
      { ...platform.server.ports, repoHooks: null },
      { name: 'hello', repo: { kind: 'github', owner: 'Codertocat', name: 'Hello-World', url: 'https://github.com/Codertocat/Hello-World.git' }, branch: 'main', root: '', webhookBaseUrl: 'http://127.0.0.1' },
    );
    const send = (repository: string) => {
      const delivery = signedDelivery(webhook.secret, pushPayload({ ref: 'refs/heads/main', after: 'c'.repeat(40), repository }));
      return platform.post(`/webhook/${project.id}`, delivery.body, delivery.headers);
    };
    const other = await send('mallory/Hello-World');
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body).message).toContain('This push is for mallory/Hello-World, not hello\'s repository Codertocat/Hello-World');
    expect(await count(project.id)).toBe(0);
    // GitHub's names are not case-sensitive.
    expect((await send('codertocat/hello-world')).status).toBe(202);
    expect(await count(project.id)).toBe(1);
  });

  it('a signature in upper-case hex is refused (GitHub sends lower case)', async () => {
    platform = await new LocalPlatformHarness().start();
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
    const upper = `sha256=${signPayload(platform.webhookSecret, delivery.body).slice(7).toUpperCase()}`;
    const answer = await platform.post(`/webhook/${platform.project.id}`, delivery.body, { ...delivery.headers, 'x-hub-signature-256': upper });
    expect(answer.status).toBe(401);
    expect(await count()).toBe(0);
  });
});

describe('the platform routes at their edges', () => {
  it('broken percent-encoding in a webhook path is 404, not a server error', async () => {
    platform = await new LocalPlatformHarness().start();
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
    for (const path of ['/webhook/%E0%A4%A', '/webhook/%', '/webhook/%ZZ']) {
      const answer = await platform.post(path, delivery.body, delivery.headers);
      expect(answer.status, path).toBe(404);
    }
  });

  it('a webhook trickled in a byte at a time is cut with 408, headers or body', async () => {
    platform = await new LocalPlatformHarness().start({ server: { headersTimeoutMs: 1_500, webhookBodyTimeoutMs: 1_500 } });
    const delivery = signedDelivery(platform.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
    const head = [`POST /webhook/${platform.project.id} HTTP/1.1`, 'host: 127.0.0.1', `content-length: ${Buffer.byteLength(delivery.body)}`, ...Object.entries(delivery.headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
    // Slow headers (Node's own timeout), then headers at once and a slow body (the webhook's).
    for (const [fast, slow] of [['', `${head}\r\n\r\n${delivery.body}`], [`${head}\r\n\r\n`, delivery.body]] as const) {
      const answer = await trickle(platform.server.port, fast, slow);
      expect(answer.startsWith('HTTP/1.1 408'), answer).toBe(true);
    }
    expect(await count()).toBe(0);
  }, 30_000);
});

describe('a push of a commit that does not exist', () => {
  it('does not stop the build already running: that one goes live, the bogus one fails saying why', async () => {
    platform = await new LocalPlatformHarness().start();
    const real = platform.repo.commit(pipelineAppFiles({ version: 'v1', buildSleepMs: 3000 }), 'v1');
    const first = (await platform.push(real)).json.deploymentId ?? '';
    await waitForLog(first, '▸ Checked out');
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const bogus = await platform.push(missing);
    expect(bogus.status).toBe(202);
    const bogusId = bogus.json.deploymentId ?? '';

    expect(await platform.waitFor(bogusId, ['failed', 'live', 'superseded'])).toBe('failed');
    expect((await platform.server.ports.deployments.get(bogusId))?.reason).toBe(`git checkout failed: commit ${missing} not found on branch main`);
    expect(await platform.waitFor(first, ['live', 'failed', 'superseded'])).toBe('live');
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
  }, 120_000);

  it('a queued push that waited for it is built after all', async () => {
    platform = await new LocalPlatformHarness().start({ concurrency: 1 });
    const v1 = platform.repo.commit(pipelineAppFiles({ version: 'v1', buildSleepMs: 2000 }), 'v1');
    const first = (await platform.push(v1)).json.deploymentId ?? '';
    await waitForLog(first, '▸ Checked out');
    // Both wait for the one build slot: v2 behind v1, the bogus one behind v2.
    const v2 = platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'v2');
    const second = (await platform.push(v2)).json.deploymentId ?? '';
    const bogus = (await platform.push('fedcba9876543210fedcba9876543210fedcba98')).json.deploymentId ?? '';

    expect(await platform.waitFor(bogus, ['failed', 'live', 'superseded'])).toBe('failed');
    expect(await platform.waitFor(second, ['live', 'failed', 'superseded'])).toBe('live');
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
    const log = await platform.logText(second);
    expect(log).toContain(`⏸ Waiting: ${bogus} replaces this one once its commit is checked out`);
    expect(log).toContain(`▶ ${bogus} could not check out its commit: this one is built instead.`);
  }, 120_000);

  it('when the newest push cannot fetch the repository at all, the older ones that waited end failed at once instead of each trying in turn', async () => {
    platform = await new LocalPlatformHarness().start({ concurrency: 1 });
    const v1 = platform.repo.commit(pipelineAppFiles({ version: 'v1', buildSleepMs: 2000 }), 'v1');
    const first = (await platform.push(v1)).json.deploymentId ?? '';
    await waitForLog(first, '▸ Checked out');
    const older = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'v2'))).json.deploymentId ?? '';
    const newest = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: 'v3' }), 'v3'))).json.deploymentId ?? '';
    // The repository can no longer be read (here its folder; on GitHub a host that is down or a revoked token).
    const git = join(platform.repo.dir, '.git');
    chmodSync(git, 0);
    try {
      expect(await platform.waitFor(first, ['live', 'failed', 'superseded'])).toBe('live');
      expect(await platform.waitFor(newest, ['failed', 'live', 'superseded'])).toBe('failed');
      expect(await platform.waitFor(older, ['failed', 'live', 'superseded'])).toBe('failed');
      const reason = (await platform.server.ports.deployments.get(older))?.reason ?? '';
      expect(reason).toContain(`Not built: the newer push ${newest} could not fetch the repository, and this one would not either (`);
      expect(reason).toContain((await platform.server.ports.deployments.get(newest))?.reason ?? 'its reason');
      expect(await platform.logText(older)).not.toContain('▸ Cloning');
      expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
    } finally {
      chmodSync(git, 0o755);
    }
  }, 120_000);
});

async function waitForLog(deploymentId: string, text: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (!(await platform.logText(deploymentId)).includes(text)) {
    if (Date.now() > until) throw new Error(`${deploymentId}'s log never showed "${text}":\n${await platform.logText(deploymentId)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends `fast` at once, then `slow` a byte every 200 ms; resolves with what the server answered. */
function trickle(port: number, fast: string, slow: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    let sent = 0;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(fast);
      const timer = setInterval(() => {
        if (sent >= slow.length || socket.destroyed) return clearInterval(timer);
        socket.write(slow[sent++] ?? '');
      }, 200);
      socket.once('close', () => clearInterval(timer));
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('close', () => resolve(answer));
    socket.once('error', (error) => (answer ? resolve(answer) : reject(error)));
  });
}
