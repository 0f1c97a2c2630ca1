import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiHandler, type ApiGatewayEvent } from '../../infra/handlers/api.js';
import { DynamoAccess } from '../../src/adapters/aws/dynamo-access.js';
import { documentClient } from '../../src/adapters/aws/dynamo-document.js';
import { DynamoDeployments } from '../../src/adapters/aws/dynamo-deployments.js';
import { DynamoEnvVars } from '../../src/adapters/aws/dynamo-env-vars.js';
import { DynamoProjects } from '../../src/adapters/aws/dynamo-projects.js';
import { API_ROUTES } from '../../src/core/api/api-routes.js';
import type { ApiDeps } from '../../src/core/api/api-types.js';
import { ApiClient, type ApiTransport } from '../api/api-client.js';
import { runIsolationTable, seedTwoOwners, snapshotOfA, type TwoOwners } from '../api/isolation-table.js';
import { memoryPorts } from '../fakes/memory/memory-ports.js';
import { createPlatformTables, dynamoClient, startDynamoDbLocal, type Emulator } from './emulators.js';

let dynamo: Emulator;
let client: DynamoDBClient;
let deps: ApiDeps;
let api: ApiClient;
let seeded: TwoOwners;

/** A request as API Gateway (payload 2.0) hands it to the Lambda, and its answer back as HTTP. */
function lambdaTransport(handler: ReturnType<typeof makeApiHandler>): ApiTransport {
  return async (request) => {
    const url = new URL(request.path, 'https://api.example.com');
    const { cookie, ...headers } = request.headers;
    const event: ApiGatewayEvent = {
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(cookie ? { cookies: cookie.split('; ') } : {}),
      body: request.body === undefined ? null : Buffer.from(request.body).toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: request.method, sourceIp: '198.51.100.20' } },
    };
    const result = await handler(event);
    return { status: result.statusCode, headers: { ...result.headers, ...(result.cookies ? { 'set-cookie': result.cookies } : {}) }, body: result.body };
  };
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  client = dynamoClient(dynamo.endpoint);
  const names = await createPlatformTables(client);
  const doc = documentClient(client);
  const envVars = new DynamoEnvVars({ doc, table: names.envVars });
  // DynamoDB Local for every table the API writes; the stateful fakes for logs, queue and functions.
  const memory = memoryPorts({ start: new Date().toISOString() });
  deps = {
    ...memory,
    projects: new DynamoProjects({ doc, table: names.projects, envVars }),
    deployments: new DynamoDeployments({ doc, table: names.deployments }),
    envVars,
    access: new DynamoAccess({ doc, table: names.access }),
    siteUrl: () => null,
    webhookBaseUrl: 'https://api.example.com',
    domains: null,
    holdsStreams: false,
    rollback: null,
    removeProject: null,
  };
  seeded = await seedTwoOwners(deps, 'https://api.example.com');
  api = new ApiClient(lambdaTransport(makeApiHandler(deps)));
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

describe('the platform API on the aws handler (API Gateway payload 2.0, DynamoDB Local)', () => {
  it("answers every route with owner B's token on owner A's resources as if they did not exist, and changes nothing", async () => {
    const before = await snapshotOfA(deps, seeded);
    expect(await runIsolationTable(api, API_ROUTES, seeded)).toBe(API_ROUTES.length);
    expect(await snapshotOfA(deps, seeded)).toEqual(before);
  });

  it('signs in with a token into a cookie session, and a log stream answers what there is and ends', async () => {
    const signIn = await api.call('POST', '/api/v1/session', { token: seeded.a.token });
    expect(signIn.status).toBe(200);
    const cookie = String((signIn.headers['set-cookie'] as string[])[0]).split(';')[0] as string;
    const session = await api.as(null, { cookie }).call('GET', '/api/v1/session');
    expect(session.json.owner.id).toBe(seeded.a.ownerId);
    const stream = await api.as(seeded.a.token).call('GET', `/api/v1/projects/alpha/deployments/${seeded.a.deploymentId}/logs/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.body).toContain('id: 2\nevent: line\ndata: {"seq":2');
    expect(stream.body).toMatch(/event: end\ndata: \{"state":"failed"\}\n\n$/);
  });
});
