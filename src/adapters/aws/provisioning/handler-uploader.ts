import { readFile } from 'node:fs/promises';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { AnchorError, errorMessage } from '../../../core/errors.js';
import { awsErrorNamed, httpStatusOf, isS3NotFound } from '../aws-errors.js';

export interface HandlerZip {
  name: string;
  zipPath: string;
  sha256: string;
  bytes: number;
}

export interface UploadReport {
  bucket: string;
  /** S3 key of each handler's zip, by handler name: `handlers/<sha256>/<name>.zip`. */
  keys: Record<string, string>;
  uploaded: string[];
  unchanged: string[];
  bucketCreated: boolean;
}

export const bootstrapBucketName = (account: string, region: string): string => `anchor-bootstrap-${account}-${region}`;

/**
 * The bootstrap bucket holds the platform's Lambda zips (CloudFormation reads code from S3).
 * Keys are content hashes, so a rerun of `anchor init --aws` with the same code uploads nothing
 * and the stack sees no change.
 */
export class S3HandlerUploader {
  readonly bucket: string;

  constructor(private readonly options: { s3: S3Client; account: string; region: string }) {
    this.bucket = bootstrapBucketName(options.account, options.region);
  }

  async upload(zips: readonly HandlerZip[]): Promise<UploadReport> {
    const bucketCreated = await this.ensureBucket();
    const report: UploadReport = { bucket: this.bucket, keys: {}, uploaded: [], unchanged: [], bucketCreated };
    for (const zip of zips) {
      const key = `handlers/${zip.sha256}/${zip.name}.zip`;
      report.keys[zip.name] = key;
      if (!bucketCreated && (await this.exists(key))) {
        report.unchanged.push(zip.name);
        continue;
      }
      await this.put(key, await readFile(zip.zipPath), 'application/zip');
      report.uploaded.push(zip.name);
    }
    return report;
  }

  /** For a template over TemplateBody's 51,200 bytes: CloudFormation reads it from the bucket. */
  async uploadTemplate(name: string, body: string, sha256: string): Promise<string> {
    await this.ensureBucket();
    const key = `templates/${sha256}/${name}.json`;
    if (!(await this.exists(key))) await this.put(key, Buffer.from(body), 'application/json');
    return `https://${this.bucket}.s3.${this.options.region}.amazonaws.com/${key}`;
  }

  /** Creates the bucket private and encrypted when it is missing; true when it was created. */
  async ensureBucket(): Promise<boolean> {
    const { s3, region } = this.options;
    try {
      await s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return false;
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 403) {
        throw new AnchorError({ code: 'BOOTSTRAP_BUCKET_FORBIDDEN', kind: 'auth', message: `The bootstrap bucket ${this.bucket} exists but these credentials may not use it.`, hint: 'Use credentials of the account that owns it (AWS_PROFILE), with s3:GetObject/PutObject on it.', cause: error });
      }
      if (!isS3NotFound(error)) throw s3Error(error, `Checking the bootstrap bucket ${this.bucket}`);
    }
    try {
      await s3.send(new CreateBucketCommand({ Bucket: this.bucket, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }) }));
    } catch (error) {
      if (!awsErrorNamed(error, 'BucketAlreadyOwnedByYou')) throw s3Error(error, `Creating the bootstrap bucket ${this.bucket}`);
    }
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: this.bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    await s3.send(new PutBucketEncryptionCommand({ Bucket: this.bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] } }));
    return true;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.options.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw s3Error(error, `Reading s3://${this.bucket}/${key}`);
    }
  }

  private async put(key: string, body: Buffer, contentType: string): Promise<void> {
    try {
      await this.options.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (error) {
      throw s3Error(error, `Uploading s3://${this.bucket}/${key}`);
    }
  }
}

function s3Error(error: unknown, doing: string): AnchorError {
  return new AnchorError({ code: 'S3_ERROR', kind: 'external', message: `${doing} failed: ${errorMessage(error)}`, hint: 'Run the command again; check the credentials may use S3 in this region.', cause: error });
}
