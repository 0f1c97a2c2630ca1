import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { dashboardResponse, type DashboardSource } from '../../../core/dashboard/dashboard-response.js';
import { realPathInside } from '../../../lib/real-path-inside.js';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>anchor</title>
<p>The anchor dashboard is not built on this machine (no dist/dashboard/ folder).</p>
<p>The API answers at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>; run <code>npm run build</code> in anchor's folder to build the dashboard.</p>
`;

/**
 * The dashboard's static folder (dist/dashboard/), served on the platform host by the same rules
 * as on aws (core/dashboard/dashboard-response.ts): content type, CSP, cache policy, the
 * precompressed copy the browser takes. No folder: a plain page that says so.
 */
export class DashboardFiles implements DashboardSource {
  constructor(private readonly dir: string) {}

  async serve(urlPath: string, method: string, res: ServerResponse, headers: { acceptEncoding?: string | undefined; ifNoneMatch?: string | undefined } = {}): Promise<void> {
    const answer = await dashboardResponse(this, { path: urlPath, method, ...headers }, NOT_BUILT);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body.length > 0 ? answer.body : undefined);
  }

  /** A regular file inside the folder (a symlink out of it is not), else null. */
  async read(name: string): Promise<Uint8Array | null> {
    const wanted = join(this.dir, name);
    if (!((await stat(wanted).catch(() => null))?.isFile() ?? false)) return null;
    const inside = await realPathInside(this.dir, wanted);
    return inside ? readFile(inside) : null;
  }
}
