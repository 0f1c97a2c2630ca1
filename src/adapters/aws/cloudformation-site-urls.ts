import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { Clock } from '../../core/ports/system.js';
import { projectOutput } from './create-aws-ports.js';
import { projectStackName } from './resource-names.js';

/**
 * A project's CloudFront address (its stack's `SiteUrl` output) as the API function lists it.
 * A distribution's domain never changes while its stack lives, so a container asks CloudFormation
 * once per project and keeps the answer for `ttlMs` (a stack deleted and made again gets a new
 * one); a project with no stack yet is asked again after `missMs`. Never a DescribeStacks per request.
 */
export class CloudFormationSiteUrls {
  private readonly known = new Map<string, { url: string | null; until: number }>();

  constructor(private readonly options: { cloudformation: CloudFormationClient; stage: string; clock: Clock; ttlMs?: number; missMs?: number }) {}

  async of(project: string): Promise<string | null> {
    const now = this.options.clock.now().getTime();
    const cached = this.known.get(project);
    if (cached && cached.until > now) return cached.url;
    const url = await projectOutput(this.options.cloudformation, projectStackName(this.options.stage, project), 'SiteUrl').catch(() => null);
    this.known.set(project, { url, until: now + (url ? (this.options.ttlMs ?? 600_000) : (this.options.missMs ?? 60_000)) });
    return url;
  }
}
