import { describe, expect, it } from 'vitest';
import type { Domain, DomainState } from '../../../src/core/domain.js';
import type { Project } from '../../../src/core/project.js';
import { projectSiteUrl, recentDomains } from '../../../src/core/site-url.js';
import { ManualClock } from '../../fakes/memory/memory-system.js';

const shop = { id: 'p_shop', name: 'shop' } as Project;
const domain = (name: string, state: DomainState, extra: Partial<Domain> = {}): Domain => ({
  name, projectId: 'p_shop', redirectTo: null, manageDns: true, state, reason: null, records: [], certificate: null, checkedAt: null, activeSince: state === 'active' ? '2025-01-02T00:00:00.000Z' : null, createdAt: '2025-01-01T00:00:00.000Z', ...extra,
});

function store(domains: Domain[]) {
  const reads: unknown[] = [];
  return { reads, list: async (filter?: { projectId?: string }) => (reads.push(filter), domains.filter((d) => !filter?.projectId || d.projectId === filter.projectId)) };
}

describe("a project's url", () => {
  const fallback = (p: Project) => `https://${p.name}.cloudfront.example`;

  it('is the backend\'s own address until a domain is measured active; never a pending one, a www redirect or another project\'s', async () => {
    const domains = store([domain('shop.example.com', 'pending_certificate'), domain('www.shop.example.com', 'active', { redirectTo: 'shop.example.com' }), domain('docs.example.com', 'active', { projectId: 'p_docs' })]);
    expect(await projectSiteUrl({ domains, defaultUrl: fallback }, shop)).toBe('https://shop.cloudfront.example');
    expect(await projectSiteUrl({ domains: null, defaultUrl: () => null }, shop)).toBeNull();
  });

  it('is the custom domain active the longest', async () => {
    const domains = store([domain('new.example.com', 'active', { activeSince: '2025-03-01T00:00:00.000Z' }), domain('shop.example.com', 'active'), domain('old.example.com', 'misconfigured')]);
    expect(await projectSiteUrl({ domains, defaultUrl: fallback }, shop)).toBe('https://shop.example.com');
  });

  it('reads the domains store once per 30 s for any number of projects', async () => {
    const clock = new ManualClock();
    const domains = store([domain('shop.example.com', 'active')]);
    const recent = recentDomains(domains, clock);
    for (const project of [shop, { id: 'p_docs', name: 'docs' } as Project, shop]) await projectSiteUrl({ domains: recent, defaultUrl: fallback }, project);
    expect(domains.reads).toHaveLength(1);
    expect(await projectSiteUrl({ domains: recent, defaultUrl: fallback }, { id: 'p_docs', name: 'docs' } as Project)).toBe('https://docs.cloudfront.example');
    clock.advance(30_000);
    await projectSiteUrl({ domains: recent, defaultUrl: fallback }, shop);
    expect(domains.reads).toHaveLength(2);
  });
});
