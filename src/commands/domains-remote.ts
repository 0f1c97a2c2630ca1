import type { Context } from '../cli/context.js';
import { normaliseDomain } from '../core/domain-name.js';
import { AnchorError } from '../core/errors.js';
import type { PlatformOperations, RemoteProjects } from '../core/operations/platform-operations.js';
import { recordsTable } from './domain-text.js';
import { table } from './table.js';

/** `domains ls` on a remote platform: the domains of the token's projects (or of --project). */
export async function listRemoteDomains(ctx: Context, ops: PlatformOperations, remote: RemoteProjects, project: string | undefined): Promise<void> {
  const projects = project === undefined ? (await ops.listProjects()).map((p) => p.name) : [project];
  const views = (await Promise.all(projects.map(async (name) => (await remote.listDomains(name)).map((d) => ({ name: d.domain, project: name, state: d.state, certificateExpiresAt: d.certificateExpiresAt ?? null, nextAction: d.nextAction }))))).flat();
  ctx.ui.result({ domains: views }, () =>
    views.length === 0
      ? 'No custom domains yet. Add one: anchor domains add <domain> --project <project>'
      : table(['DOMAIN', 'PROJECT', 'STATE', 'CERTIFICATE', 'NEXT'], views.map((d) => [d.name, d.project, d.state, d.certificateExpiresAt ? `expires ${d.certificateExpiresAt.slice(0, 10)}` : '-', d.nextAction])),
  );
}

/** `domains add` on a remote platform: the bare name, DNS managed where the platform can; no www companion, no --wait. */
export async function addRemoteDomain(ctx: Context, remote: RemoteProjects, domain: string, options: Record<string, unknown>): Promise<void> {
  const given = [options.redirectWww && '--redirect-www', options.withWww && '--with-www', options.dns === false && '--no-dns', options.wait && '--wait'].filter(Boolean);
  if (given.length > 0) {
    throw new AnchorError({ code: 'REMOTE_NOT_SUPPORTED', kind: 'usage', message: `${given.join(', ')} cannot be used through the platform API.`, hint: 'Add the domain without them, and follow it with "anchor domains ls"; or run the command where the platform runs.' });
  }
  const project = String(options.project ?? '');
  const result = await remote.addDomain(project, domain);
  const records = result.items.flatMap((d) => d.records ?? []);
  const data = { project, added: result.added, domains: result.items.map((d) => ({ name: d.domain, state: d.state, records: d.records ?? [], nextAction: d.nextAction })) };
  ctx.ui.result(data, () => [
    result.added.length > 0 ? `${ctx.ui.colors.green('✔')} Added ${result.added.join(' and ')} to "${project}".` : `${domain} already belongs to "${project}"; nothing changed.`,
    ...data.domains.map((d) => `  ${d.name}: ${d.state}`),
    ...(records.length > 0 ? ['', '  Create these DNS records (anchor keeps checking them by itself):', ...recordsTable(records)] : []),
    '',
    `  Follow it with: anchor domains ls --project ${project}`,
  ]);
}

/** `domains rm` on a remote platform: found among the token's projects. */
export async function removeRemoteDomain(ctx: Context, ops: PlatformOperations, remote: RemoteProjects, domain: string): Promise<void> {
  const name = normaliseDomain(domain);
  const projects = (await ops.listProjects()).map((p) => p.name);
  const owners = await Promise.all(projects.map(async (p) => ((await remote.listDomains(p)).some((d) => d.domain === name) ? p : null)));
  const project = owners.find((p) => p !== null);
  if (!project) throw new AnchorError({ code: 'DOMAIN_NOT_FOUND', kind: 'not-found', message: `No project of yours has the domain ${name}.`, hint: 'Run "anchor domains ls" to see the domains there are.' });
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Stop serving ${name} (project "${project}") and release its certificate?`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `${name} was not removed.` });
  }
  await remote.removeDomain(project, name);
  ctx.ui.result({ removed: [name], project }, () => `${ctx.ui.colors.green('✔')} ${name} no longer serves "${project}"; the DNS records you created for it can go.`);
}
