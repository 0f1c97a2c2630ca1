import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * Deletes every object under `prefix` (a listing page at a time, one DeleteObjects per page of up
 * to 1000 keys). A prefix that must not reach a neighbour ends with `/`: callers pass
 * `<project>/<deploymentId>/`, never `<project>/<deploymentId>`. Returns how many objects went.
 */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  if (!prefix.endsWith('/')) throw new Error(`refusing to delete under "${prefix}": a prefix must end with "/"`);
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      const failed = result.Errors ?? [];
      if (failed.length > 0) throw new Error(`S3 did not delete ${failed.length} objects under s3://${bucket}/${prefix} (first: ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message ?? ''})`);
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}
