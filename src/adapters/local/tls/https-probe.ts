import { request } from 'node:https';
import { rootCertificates, type TLSSocket } from 'node:tls';
import type { DnsLookup, SiteProbe } from '../../../core/ports/index.js';
import type { Project } from '../../../core/project.js';

/** The path the edge answers on every custom domain with the project's name (CustomDomainFront). */
export const PROBE_PATH = '/.well-known/anchor-probe';
export const probeAnswer = (project: string): string => `anchor project ${project}\n`;

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

interface Outcome {
  ok: boolean;
  detail: string;
  unreachable: boolean;
}

/**
 * An HTTPS request as a visitor makes it: to the address public DNS gives, with the name as SNI,
 * the certificate checked against the trusted roots, asking the probe path. A server behind NAT
 * often cannot reach its own public address; then the local listener is asked the same way and
 * the answer says so.
 */
export class LocalSiteProbe implements SiteProbe {
  private readonly ca: string[] | undefined;

  constructor(private readonly options: { dns: DnsLookup; httpsPort: () => number | null; extraCa?: readonly string[]; timeoutMs?: number }) {
    this.ca = options.extraCa?.length ? [...rootCertificates, ...options.extraCa] : undefined;
  }

  async check(project: Project, name: string): Promise<{ ok: boolean; detail: string }> {
    const port = this.options.httpsPort();
    if (port === null) return { ok: false, detail: 'anchor server does not serve HTTPS (not running, or no HTTPS port).' };
    const [address] = (await this.options.dns.resolve(name)).addresses;
    if (!address) return { ok: false, detail: `${name} does not resolve, so nothing can reach it.` };
    const outcome = await this.request(project, name, address, port);
    if (!outcome.unreachable || address === '127.0.0.1') return outcome;
    const local = await this.request(project, name, '127.0.0.1', port);
    return local.ok ? { ok: true, detail: `${local.detail} (checked on this machine: ${outcome.detail})` } : outcome;
  }

  private request(project: Project, name: string, address: string, port: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const req = request(
        { host: address, port, servername: name, path: PROBE_PATH, headers: { host: port === 443 ? name : `${name}:${port}` }, ca: this.ca, agent: false, timeout: this.options.timeoutMs ?? 10_000 },
        (res) => {
          const validTo = (res.socket as TLSSocket).getPeerCertificate().valid_to;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk.slice(0, 200)));
          res.on('end', () => {
            if (res.statusCode === 200 && body === probeAnswer(project.name)) resolve({ ok: true, detail: `https://${name}/ answers for "${project.name}" with a valid certificate (until ${new Date(validTo).toISOString()}).`, unreachable: false });
            else resolve({ ok: false, detail: `https://${name}/ answered ${res.statusCode ?? '?'} from something other than "${project.name}".`, unreachable: false });
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? '';
        const detail = code === 'ECONNRESET' ? `${address}:${port} has no certificate for ${name} (the TLS handshake was refused)` : `https://${name}/ via ${address}:${port} failed: ${error.message}`;
        resolve({ ok: false, detail, unreachable: UNREACHABLE.has(code) });
      });
      req.end();
    });
  }
}
