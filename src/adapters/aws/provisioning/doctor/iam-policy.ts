/**
 * Just enough of IAM's policy evaluation for `anchor doctor` to tell whether a role's own policies
 * allow one action on one resource: an explicit Deny wins, then any Allow whose Action and
 * Resource match (with IAM's `*` and `?` wildcards). A matching Allow with a Condition is
 * reported as conditional: doctor cannot know the request's context, so it says so.
 */
export interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

export type PolicyAnswer = 'allowed' | 'conditional' | 'denied' | 'not-allowed';

export function parsePolicyDocument(text: string): PolicyStatement[] {
  // GetRolePolicy returns the document URL-encoded (RFC 3986).
  const decoded = text.trimStart().startsWith('{') ? text : decodeURIComponent(text);
  const parsed = JSON.parse(decoded) as { Statement?: PolicyStatement | PolicyStatement[] };
  return [parsed.Statement ?? []].flat();
}

export function evaluate(statements: readonly PolicyStatement[], action: string, resource: string): PolicyAnswer {
  const matching = statements.filter((s) => matchesAction(s, action) && matchesResource(s, resource));
  if (matching.some((s) => s.Effect === 'Deny' && s.Condition === undefined)) return 'denied';
  const allows = matching.filter((s) => s.Effect === 'Allow');
  if (allows.some((s) => s.Condition === undefined)) return 'allowed';
  return allows.length > 0 ? 'conditional' : 'not-allowed';
}

function matchesAction(s: PolicyStatement, action: string): boolean {
  if (s.NotAction !== undefined) return ![s.NotAction].flat().some((p) => wildcard(p, action, true));
  return [s.Action ?? []].flat().some((p) => wildcard(p, action, true));
}

function matchesResource(s: PolicyStatement, resource: string): boolean {
  if (s.NotResource !== undefined) return ![s.NotResource].flat().some((p) => wildcard(p, resource, false));
  return [s.Resource ?? []].flat().some((p) => wildcard(p, resource, false));
}

/** IAM matches action names case-insensitively and resource ARNs case-sensitively. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}
