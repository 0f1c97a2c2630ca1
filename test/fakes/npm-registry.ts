/**
 * A local HTTP server that answers like the npm registry for the two requests `npm install` and
 * `npm ci` make: the packument (`GET /<name>`, every version with its `dist.tarball` and
 * `dist.integrity`) and the tarball itself. Packages are published from plain objects: their
 * package.json and files, packed as npm packs them (a gzipped tar with a `package/` folder).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface FakePackage {
  manifest: { name: string; version: string } & Record<string, unknown>;
  /** Files besides package.json; a path ending in `.sh` or named in `bin` is made executable. */
  files?: Record<string, string>;
}

interface Published {
  manifest: FakePackage['manifest'];
  tarball: Buffer;
  integrity: string;
  shasum: string;
}

export class FakeNpmRegistry {
  private readonly packages = new Map<string, Map<string, Published>>();
  private server: Server | null = null;
  url = '';
  /** Tarball downloads served: a warm install downloads none. */
  tarballRequests = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/').slice(1);
      const tarball = /^(.+)\/-\/[^/]+-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(path);
      if (tarball) {
        const published = this.packages.get(tarball[1]!)?.get(tarball[2]!);
        if (!published) return notFound(res);
        this.tarballRequests++;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': published.tarball.length });
        return res.end(published.tarball);
      }
      const versions = this.packages.get(path);
      if (!versions) return notFound(res);
      const latest = [...versions.keys()].at(-1)!;
      const body = JSON.stringify({
        name: path,
        'dist-tags': { latest },
        versions: Object.fromEntries([...versions].map(([version, p]) => [version, {
          ...p.manifest,
          _id: `${path}@${version}`,
          dist: { tarball: `${this.url}/${path}/-/${path.split('/').at(-1)}-${version}.tgz`, integrity: p.integrity, shasum: p.shasum },
        }])),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  publish(pkg: FakePackage): void {
    const dir = mkdtempSync(join(tmpdir(), 'anchor-fake-package-'));
    try {
      const root = join(dir, 'package');
      const bins = new Set(Object.values((pkg.manifest.bin ?? {}) as Record<string, string>));
      for (const [path, content] of Object.entries({ ...pkg.files, 'package.json': JSON.stringify(pkg.manifest, null, 2) })) {
        const full = join(root, path);
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
        chmodSync(full, bins.has(path) || path.endsWith('.sh') ? 0o755 : 0o644);
      }
      const file = join(dir, 'package.tgz');
      execFileSync('tar', ['-czf', file, '--owner=0', '--group=0', '-C', dir, 'package']);
      const tarball = readFileSync(file);
      const published: Published = {
        manifest: pkg.manifest,
        tarball,
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
      };
      const versions = this.packages.get(pkg.manifest.name) ?? new Map<string, Published>();
      versions.set(pkg.manifest.version, published);
      this.packages.set(pkg.manifest.name, versions);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function notFound(res: import('node:http').ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'Not found' }));
}
