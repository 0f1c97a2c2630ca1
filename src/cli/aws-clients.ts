import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';

/**
 * The one place the CLI makes AWS SDK clients. Each SDK package is imported the first time a
 * command asks for its client (never for --help), and every client gets the platform's region.
 * Credentials come from the SDK's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws, SSO),
 * resolved on the first call, so a missing one surfaces where callerIdentity() explains it.
 */
export class AwsClients {
  private readonly made = new Map<string, Promise<{ destroy(): void }>>();

  constructor(readonly region: string) {}

  cloudFormation(): Promise<CloudFormationClient> {
    return this.client('cloudformation', async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient({ region: this.region, maxAttempts: 8 }));
  }

  /** CloudFront is global: its API is signed for us-east-1 whatever the platform's region. */
  cloudFront(): Promise<CloudFrontClient> {
    return this.client('cloudfront', async () => new (await import('@aws-sdk/client-cloudfront')).CloudFrontClient({ region: 'us-east-1' }));
  }

  /** KeyValueStore signs with SigV4A; its client module registers the signer (global API, us-east-1 endpoint). */
  keyValueStore(): Promise<CloudFrontKeyValueStoreClient> {
    return this.client('kvs', async () => (await import('../adapters/aws/key-value-store-client.js')).keyValueStoreClient());
  }

  /** IAM is global; its API is signed for us-east-1. */
  iam(): Promise<IAMClient> {
    return this.client('iam', async () => new (await import('@aws-sdk/client-iam')).IAMClient({ region: 'us-east-1' }));
  }

  codeBuild(): Promise<CodeBuildClient> {
    return this.client('codebuild', async () => new (await import('@aws-sdk/client-codebuild')).CodeBuildClient({ region: this.region }));
  }

  sts(): Promise<STSClient> {
    return this.client('sts', async () => new (await import('@aws-sdk/client-sts')).STSClient({ region: this.region }));
  }

  lambda(): Promise<LambdaClient> {
    return this.client('lambda', async () => new (await import('@aws-sdk/client-lambda')).LambdaClient({ region: this.region }));
  }

  s3(): Promise<S3Client> {
    return this.client('s3', async () => new (await import('@aws-sdk/client-s3')).S3Client({ region: this.region }));
  }

  ssm(): Promise<SSMClient> {
    return this.client('ssm', async () => new (await import('@aws-sdk/client-ssm')).SSMClient({ region: this.region }));
  }

  async destroy(): Promise<void> {
    for (const client of this.made.values()) (await client.catch(() => null))?.destroy();
    this.made.clear();
  }

  private client<T extends { destroy(): void }>(key: string, make: () => Promise<T>): Promise<T> {
    let client = this.made.get(key);
    if (!client) {
      client = make();
      this.made.set(key, client);
    }
    return client as Promise<T>;
  }
}
