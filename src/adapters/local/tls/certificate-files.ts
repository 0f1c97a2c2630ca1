import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredCertificate {
  name: string;
  keyPem: string;
  /** The leaf first, then the intermediates, as the CA sent them. */
  chainPem: string;
  serial: string;
  issuer: string;
  issuedAt: Date;
  expiresAt: Date;
  /** Two thirds of the lifetime: when renewal starts. */
  renewAt: Date;
  /** The ACME directory that issued it: a certificate from another CA (staging, Pebble) is replaced. */
  directory: string;
  mtimeMs: number;
}

/** The tries to obtain or renew a name's certificate since the last success. */
export interface IssueAttempts {
  failures: number;
  lastError: string | null;
  since: string | null;
  nextTryAt: string | null;
  /** The CA refused for good (CAA, a rejected identifier): retrying cannot help. */
  hard: boolean;
}

const NO_ATTEMPTS: IssueAttempts = { failures: 0, lastError: null, since: null, nextTryAt: null, hard: false };
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g;

/**
 * Certificates on disk, one folder per name under `<platform>/tls/certs` (mode 0700): the key and
 * its chain in one file (mode 0600, replaced by a rename, so a reader never sees a new key with
 * an old chain), the issuing directory, and the failed tries (so a restart keeps the backoff).
 */
export class CertificateFiles {
  constructor(private readonly dir: string) {}

  read(name: string): StoredCertificate | null {
    const file = join(this.dir, name, 'certificate.pem');
    let text: string;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
      text = readFileSync(file, 'utf8');
    } catch {
      return null;
    }
    const blocks = text.match(PEM_BLOCK) ?? [];
    const keyPem = blocks.find((b) => b.includes('PRIVATE KEY')) ?? '';
    const chainPem = blocks.filter((b) => b.includes('BEGIN CERTIFICATE')).join('');
    if (!keyPem || !chainPem) return null;
    const leaf = new X509Certificate(chainPem);
    const issuedAt = new Date(leaf.validFrom);
    const expiresAt = new Date(leaf.validTo);
    const meta = readJson<{ directory?: string }>(join(this.dir, name, 'meta.json')) ?? {};
    return {
      name,
      keyPem,
      chainPem,
      serial: leaf.serialNumber,
      issuer: /CN=([^\n,]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer,
      issuedAt,
      expiresAt,
      renewAt: new Date(issuedAt.getTime() + ((expiresAt.getTime() - issuedAt.getTime()) * 2) / 3),
      directory: meta.directory ?? '',
      mtimeMs,
    };
  }

  write(name: string, input: { keyPem: string; chainPem: string; directory: string }): StoredCertificate {
    const folder = this.folder(name);
    writeAtomic(join(folder, 'meta.json'), JSON.stringify({ directory: input.directory }));
    writeAtomic(join(folder, 'certificate.pem'), `${input.keyPem.trim()}\n${input.chainPem.trim()}\n`);
    rmSync(join(folder, 'attempts.json'), { force: true });
    const stored = this.read(name);
    if (!stored) throw new Error(`the certificate of ${name} could not be read back`);
    return stored;
  }

  attempts(name: string): IssueAttempts {
    return { ...NO_ATTEMPTS, ...readJson<IssueAttempts>(join(this.dir, name, 'attempts.json')) };
  }

  recordAttempts(name: string, attempts: IssueAttempts): void {
    writeAtomic(join(this.folder(name), 'attempts.json'), JSON.stringify(attempts));
  }

  remove(name: string): void {
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }

  names(): string[] {
    try {
      return readdirSync(this.dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return [];
    }
  }

  private folder(name: string): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const folder = join(this.dir, name);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    return folder;
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
