import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CertificateFiles } from './certificate-files.js';
import type { ServingState } from './local-domain-routing.js';

interface Serving {
  pid: number;
  httpsPort: number | null;
  off: string | null;
}

/**
 * `<platform>/tls/serving.json`: what a running `anchor server` serves over HTTPS, so CLI
 * processes (`domains verify`, `domains ls`) can probe and report without asking it.
 */
export class ServingFile implements ServingState {
  constructor(
    private readonly file: string,
    private readonly files: CertificateFiles,
  ) {}

  write(serving: Omit<Serving, 'pid'>): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileSync(this.file, JSON.stringify({ pid: process.pid, ...serving }), { mode: 0o600 });
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }

  https(): { port: number } | { off: string } {
    const serving = this.read();
    if (!serving) return { off: 'anchor server is not running.' };
    return serving.httpsPort === null ? { off: serving.off ?? 'anchor server does not serve HTTPS.' } : { port: serving.httpsPort };
  }

  serves(name: string): boolean {
    const stored = this.files.read(name);
    return this.read()?.httpsPort != null && stored !== null && stored.expiresAt > new Date();
  }

  private read(): Serving | null {
    let serving: Serving;
    try {
      serving = JSON.parse(readFileSync(this.file, 'utf8')) as Serving;
    } catch {
      return null;
    }
    try {
      process.kill(serving.pid, 0);
      return serving;
    } catch (error) {
      // EPERM: alive, another user's; ESRCH: a server that died without cleaning up.
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? serving : null;
    }
  }
}
