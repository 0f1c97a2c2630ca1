// The dashboard's first page: what a phone downloads before it can draw (index.html, the script,
// the stylesheet), raw and brotli-compressed, against a budget for slow mobile connections.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboard } from '../scripts/bundle-dashboard.mjs';
import { line } from './measure.mjs';

/** 20 KB brotli: about 1.3 s on a 2G-class link (128 kbit/s), before round trips. */
export const FIRST_PAGE_BUDGET_BROTLI = 20_000;

export async function benchDashboard() {
  const dir = await mkdtemp(join(tmpdir(), 'anchor-dashboard-bench-'));
  try {
    const files = await buildDashboard(dir);
    const raw = files.reduce((a, f) => a + f.raw, 0);
    const brotli = files.reduce((a, f) => a + f.brotli, 0);
    process.stdout.write('\nDashboard first page (index.html + script + stylesheet)\n');
    for (const f of files) line(f.name, `${f.raw} B raw`, `${f.brotli} B brotli`);
    line('total', `${raw} B raw`, `${brotli} B brotli (budget ${FIRST_PAGE_BUDGET_BROTLI} B)`);
    return { files, raw, brotli, budget: FIRST_PAGE_BUDGET_BROTLI };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
