/**
 * How the SDK reports an AWS error: an Error whose `name` is the service's error code, with the
 * HTTP status in `$metadata`. The one place that reads them, so "not found" means the same
 * everywhere (S3's HEAD answers a bare 404 named `NotFound`, its GET `NoSuchKey`).
 */
export function awsErrorNamed(error: unknown, ...names: string[]): boolean {
  return typeof error === 'object' && error !== null && names.includes(String((error as { name?: unknown }).name));
}

export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** An S3 object (GET or HEAD) that is not there. */
export function isS3NotFound(error: unknown): boolean {
  return awsErrorNamed(error, 'NotFound', 'NoSuchKey') || httpStatusOf(error) === 404;
}
