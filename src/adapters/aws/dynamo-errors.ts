import { awsErrorNamed } from './aws-errors.js';

/** DynamoDB error names the adapters branch on (SDK v3 sets `name` to the exception's shape name). */
export function isConditionFailed(error: unknown): boolean {
  return awsErrorNamed(error, 'ConditionalCheckFailedException');
}

export function cancellationCodes(error: unknown): (string | undefined)[] | null {
  if (!awsErrorNamed(error, 'TransactionCanceledException')) return null;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => (r.Code === 'None' ? undefined : r.Code));
}

/** Removes keys whose value is undefined: a patch key present with `undefined` means "leave as is". */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
