import { Readable } from 'node:stream';
import { PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { describe, expect, it } from 'vitest';
import { keyValueStoreClient } from '../../src/adapters/aws/key-value-store-client.js';
import { TEST_CREDENTIALS } from './emulators.js';

interface SentRequest {
  method: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
}

/**
 * The client's own HTTP handler replaced by one that records what would go on the wire and
 * answers like KeyValueStore does. aws-sdk-client-mock would skip signing, which is the point here.
 */
function recordingHandler(sent: SentRequest[]) {
  return {
    handle: async (request: SentRequest) => {
      sent.push({ method: request.method, hostname: request.hostname, path: request.path, headers: { ...request.headers } });
      const body = JSON.stringify({ ETag: 'etag-2', ItemCount: 1, TotalSizeInBytes: 20 });
      return { response: { statusCode: 200, headers: { 'content-type': 'application/json', etag: 'etag-2' }, body: Readable.from([Buffer.from(body)]) } };
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
}

describe('keyValueStoreClient', () => {
  it('signs a PutKey with SigV4A (AWS4-ECDSA-P256-SHA256, every region) and sends it to the account’s KVS endpoint', async () => {
    const sent: SentRequest[] = [];
    const client = keyValueStoreClient({ credentials: TEST_CREDENTIALS, requestHandler: recordingHandler(sent) });
    try {
      const KvsARN = 'arn:aws:cloudfront::111122223333:key-value-store/0f6e1bd2-4a5b-4c1d-9e8f-0123456789ab';
      const answer = await client.send(new PutKeyCommand({ KvsARN, Key: 'shop', Value: 'shop/d_01', IfMatch: 'etag-1' }));
      expect(answer.ETag).toBe('etag-2');

      expect(sent).toHaveLength(1);
      const [request] = sent;
      expect(request!.method).toBe('PUT');
      expect(request!.hostname).toBe('111122223333.cloudfront-kvs.global.api.aws');
      expect(request!.path).toBe('/key-value-stores/arn%3Aaws%3Acloudfront%3A%3A111122223333%3Akey-value-store%2F0f6e1bd2-4a5b-4c1d-9e8f-0123456789ab/keys/shop');
      expect(request!.headers['authorization']).toMatch(/^AWS4-ECDSA-P256-SHA256 Credential=test\/\d{8}\/cloudfront-keyvaluestore\/aws4_request, SignedHeaders=[^,]*x-amz-region-set[^,]*, Signature=[0-9a-f]+$/);
      expect(request!.headers['x-amz-region-set']).toBe('*');
    } finally {
      client.destroy();
    }
  });
});
