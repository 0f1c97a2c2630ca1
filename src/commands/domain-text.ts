import type { Context } from '../cli/context.js';
import type { DnsRecord, DomainState } from '../core/domain.js';
import type { DomainView } from '../core/use-cases/domains.js';
import { table } from './table.js';

/** The records to create, as a table an operator can copy from. */
export function recordsTable(records: readonly DnsRecord[]): string[] {
  return table(
    ['TYPE', 'NAME', 'VALUE', 'FOR'],
    records.map((r) => [r.type, r.name, r.value, r.purpose]),
  ).map((line) => `    ${line}`);
}

export function stateText(ctx: Context, state: DomainState): string {
  const c = ctx.ui.colors;
  if (state === 'active') return c.green(state);
  if (state === 'failed' || state === 'conflict' || state === 'misconfigured') return c.red(state);
  return c.yellow(state);
}

/** "expires 2026-05-01", with the renewal trouble when there is some. */
export function certificateText(domain: Pick<DomainView, 'certificate'>): string {
  const certificate = domain.certificate;
  if (!certificate) return '-';
  const expires = `expires ${certificate.expiresAt.slice(0, 10)}`;
  return certificate.renewalFailure ? `${expires}, renewal failing` : expires;
}

export function sinceText(iso: string | null, now: Date): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}
