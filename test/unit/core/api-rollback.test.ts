import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { makeRollbackHandler } from '../../../infra/handlers/deploy.js';
import { LambdaRollbackInvoker } from '../../../src/adapters/aws/lambda-rollback-invoker.js';
import { ApiRouter } from '../../../src/core/api/api-router.js';
import { API_ROUTES } from '../../../src/core/api/api-routes.js';
import { rollbackOf, rollbackRequest } from '../../../src/core/api/rollback-wire.js';
import { DEFAULT_OWNER_ID } from '../../../src/core/ports/access.js';
import { createToken } from '../../../src/core/use-cases/tokens.js';
import { MemoryAccess } from '../../fakes/memory/memory-access.js';
import { deploy, liveSite, memoryPlatform, sha } from './memory-platform.js';

async function apiOn(p: Awaited<ReturnType<typeof memoryPlatform>>, access: MemoryAccess) {
  // What the aws API function does: hand the rollback to the deploy function's handler, through JSON as Lambda would.
  const deployFunction = makeRollbackHandler(p.ports);
  const router = new ApiRouter(
    { ...p.ports, access, siteUrl: () => null, webhookBaseUrl: 'https://x', domains: null, holdsStreams: false, removeProject: null, rollback: async (input) => rollbackOf(JSON.parse(JSON.stringify(await deployFunction(rollbackRequest(input))))) },
    API_ROUTES,
  );
  const token = (await createToken({ ...p.ports, access }, { ownerId: DEFAULT_OWNER_ID, name: 'ci', scope: 'deploy', expires: '1d' })).token;
  return async (body: unknown) => {
    const answer = await router.handle({ method: 'POST', path: '/api/v1/projects/shop/rollback', query: new URLSearchParams(), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), ip: '198.51.100.1', secure: true });
    return { status: answer.status, json: JSON.parse(answer.body ?? 'null') as Record<string, unknown> };
  };
}

describe('a rollback through the API on aws, run by the deploy function', () => {
  it('points the site back, and carries a refusal back as the same error', async () => {
    const p = await memoryPlatform();
    const access = new MemoryAccess();
    const rollBack = await apiOn(p, access);
    const d1 = (await deploy(p, sha('one'))).id;
    const refused = await rollBack({});
    expect([refused.status, refused.json.code]).toEqual([409, 'NO_ROLLBACK_TARGET']);
    const d2 = (await deploy(p, sha('two'))).id;
    const done = await rollBack({});
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ from: d2, live: { id: d1, live: true } });
    expect(liveSite(p)).toEqual({ functions: d1, assets: d1 });
  });

  it('asks the deploy function by name and waits; a function error is a 502', async () => {
    const lambda = mockClient(LambdaClient);
    try {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify({ error: { code: 'NOTHING_LIVE', kind: 'conflict', message: 'nothing live' } })) as never });
      const invoker = new LambdaRollbackInvoker({ lambda: new LambdaClient({ region: 'ap-southeast-1' }), functionName: 'anchor-dev-deploy' });
      await expect(invoker.rollback({ project: 'shop' })).rejects.toMatchObject({ code: 'NOTHING_LIVE', kind: 'conflict' });
      const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
      expect(sent?.FunctionName).toBe('anchor-dev-deploy');
      expect(sent?.InvocationType).toBe('RequestResponse');
      expect(JSON.parse(Buffer.from(sent?.Payload as Uint8Array).toString('utf8'))).toEqual({ 'detail-type': 'anchor.rollback', detail: { project: 'shop' } });
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from('{"errorMessage":"boom"}') as never });
      await expect(invoker.rollback({ project: 'shop' })).rejects.toMatchObject({ code: 'ROLLBACK_FAILED', kind: 'external' });
    } finally {
      lambda.restore();
    }
  });
});
