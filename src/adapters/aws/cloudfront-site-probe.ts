import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { DnsLookup, SiteProbe } from '../../core/ports/index.js';
import type { Project } from '../../core/project.js';

/**
 * `https://<name>/` as a visitor gets it: the address public DNS gives, the name as SNI, the
 * certificate checked against the system's roots. CloudFront answers with `x-amz-cf-id`; the DNS
 * check has already tied the name to this project's distribution.
 */
export class CloudFrontSiteProbe implements SiteProbe {
  constructor(private readonly options: { dns: DnsLookup; timeoutMs?: number }) {}

  async check(_project: Project, name: string): Promise<{ ok: boolean; detail: string }> {
    const [address] = (await this.options.dns.resolve(name)).addresses;
    if (!address) return { ok: false, detail: `${name} does not resolve.` };
    return new Promise((resolve) => {
      const req = request({ host: address, servername: name, port: 443, method: 'HEAD', path: '/', headers: { host: name }, agent: false, timeout: this.options.timeoutMs ?? 10_000 }, (res) => {
        res.resume();
        const validTo = (res.socket as TLSSocket).getPeerCertificate().valid_to;
        if (res.headers['x-amz-cf-id']) resolve({ ok: true, detail: `https://${name}/ answers from CloudFront (${res.statusCode}) with a valid certificate (until ${new Date(validTo).toISOString()}).` });
        else resolve({ ok: false, detail: `https://${name}/ answered ${res.statusCode}, but not from CloudFront.` });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (error) => resolve({ ok: false, detail: `https://${name}/ failed: ${error.message}` }));
      req.end();
    });
  }
}
