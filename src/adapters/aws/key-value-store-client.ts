// CloudFront KeyValueStore signs every request with SigV4A (AWS4-ECDSA-P256-SHA256). The SDK has
// no SigV4A signer of its own: importing this package registers the pure-JS one, and without it
// every PutKey fails before leaving the machine ("Neither CRT nor JS SigV4a implementation is
// available"). Imported here, next to the only place the client is made, so every bundle that
// can write the asset pointer (deploy handler, CLI rollback) carries the signer too.
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient, type CloudFrontKeyValueStoreClientConfig } from '@aws-sdk/client-cloudfront-keyvaluestore';

/**
 * A KeyValueStore client that can sign. KeyValueStore's API is global: the region only picks
 * the endpoint (and SigV4A signs for every region), so it defaults to us-east-1.
 */
export function keyValueStoreClient(config: CloudFrontKeyValueStoreClientConfig = {}): CloudFrontKeyValueStoreClient {
  return new CloudFrontKeyValueStoreClient({ region: 'us-east-1', ...config });
}
