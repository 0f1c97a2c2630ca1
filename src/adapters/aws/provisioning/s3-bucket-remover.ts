import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { AnchorError, errorMessage } from '../../../core/errors.js';
import { awsErrorNamed } from '../aws-errors.js';

/**
 * Removes the buckets a platform stack retains (CloudFormation cannot delete a bucket that holds
 * objects, and the stack keeps them on purpose). Every version and delete marker goes, so a
 * versioned bucket empties too.
 */
export class S3BucketRemover {
  constructor(private readonly options: { s3: S3Client }) {}

  /** Objects in the bucket (stops counting at `limit`); null when the bucket does not exist. */
  async count(bucket: string, limit = 1000): Promise<number | null> {
    try {
      const page = await this.options.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: limit }));
      return (page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0);
    } catch (error) {
      if (awsErrorNamed(error, 'NoSuchBucket')) return null;
      throw bucketError(error, `Reading bucket ${bucket}`);
    }
  }

  /** Empties and deletes the bucket; returns how many objects (versions) went. */
  async remove(bucket: string): Promise<number> {
    const { s3 } = this.options;
    let removed = 0;
    try {
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      do {
        const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...(keyMarker ? { KeyMarker: keyMarker, VersionIdMarker: versionMarker } : {}) }));
        const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((o) => ({ Key: o.Key!, VersionId: o.VersionId }));
        for (let i = 0; i < objects.length; i += 1000) {
          const batch = objects.slice(i, i + 1000);
          const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
          if (result.Errors?.length) throw new Error(`${result.Errors.length} objects could not be deleted, e.g. ${result.Errors[0]?.Key}: ${result.Errors[0]?.Message}`);
          removed += batch.length;
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
      } while (keyMarker);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if (awsErrorNamed(error, 'NoSuchBucket')) return removed;
      throw bucketError(error, `Emptying and deleting bucket ${bucket}`);
    }
    return removed;
  }
}

function bucketError(error: unknown, doing: string): AnchorError {
  return new AnchorError({ code: 'S3_ERROR', kind: 'external', message: `${doing} failed: ${errorMessage(error)}`, hint: 'Run "anchor destroy --force" again, or empty the bucket in the S3 console.', cause: error });
}
