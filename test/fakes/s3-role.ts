import type { S3Client } from '@aws-sdk/client-s3';
import type { CfnValue, PolicyStatement, Template } from '../../infra/stack/cfn.js';

/**
 * S3 as a role of a stack sees it, on top of an emulator that answers as the bucket owner: a
 * GetObject or HeadObject of a missing key is 404 only when the role may list the bucket at that
 * key; without s3:ListBucket real S3 answers 403 AccessDenied, so that callers cannot probe
 * for keys (S3 API reference, GetObject/HeadObject "Permissions"). The rule is read from the
 * role's policies in the template, with the stack's buckets resolved by name.
 */
export function asStackRole(s3: S3Client, template: Template, roleId: string, buckets: Record<string, string>): void {
  const statements = rolePolicies(template, roleId);
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const input = args.input as { Bucket?: string; Key?: string };
        const command = context.commandName;
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if ((command === 'GetObjectCommand' || command === 'HeadObjectCommand') && status === 404 && !mayList(statements, buckets, input.Bucket ?? '', input.Key ?? '')) {
          throw Object.assign(new Error('Access Denied'), { name: command === 'HeadObjectCommand' ? '403' : 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'anchorStackRole' },
  );
}

function rolePolicies(template: Template, roleId: string): PolicyStatement[] {
  const role = template.Resources[roleId]?.Properties as { Policies?: { PolicyDocument: { Statement: PolicyStatement[] } }[] } | undefined;
  if (!role) throw new Error(`The template has no role ${roleId}.`);
  return (role.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
}

/** Whether an Allow statement grants s3:ListBucket on the bucket, with an s3:prefix condition (if any) that the key matches. */
function mayList(statements: PolicyStatement[], buckets: Record<string, string>, bucket: string, key: string): boolean {
  return statements.some((s) => {
    const actions = [s.Action].flat() as string[];
    if (s.Effect !== 'Allow' || !actions.some((a) => a === 's3:ListBucket' || a === 's3:*')) return false;
    const resources = ([s.Resource].flat() as CfnValue[]).map((r) => resolveArn(r, buckets));
    if (!resources.includes(`arn:aws:s3:::${bucket}`)) return false;
    const condition = (s as { Condition?: { StringLike?: Record<string, string | string[]> } }).Condition;
    const prefixes = condition?.StringLike?.['s3:prefix'];
    if (prefixes === undefined) return true;
    return [prefixes].flat().some((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(key));
  });
}

function resolveArn(value: CfnValue, buckets: Record<string, string>): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const [logicalId, name] of Object.entries(buckets)) {
    if (text === JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] }) || text === JSON.stringify({ 'Fn::Sub': `\${${logicalId}.Arn}` })) return `arn:aws:s3:::${name}`;
  }
  return text;
}
