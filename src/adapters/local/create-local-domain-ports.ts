import { dirname } from 'node:path';
import type { DomainPorts } from '../../core/ports/index.js';
import { NodeDnsLookup } from '../system/node-dns-lookup.js';
import type { LocalPlatform } from './create-local-ports.js';
import { SqliteDomains } from './store/sqlite-domains.js';
import { AcmeCertificates } from './tls/acme-certificates.js';
import { CertificateFiles } from './tls/certificate-files.js';
import { tlsPaths } from './tls/domain-serving.js';
import { LocalSiteProbe } from './tls/https-probe.js';
import { LocalDomainRouting } from './tls/local-domain-routing.js';
import { ServingFile } from './tls/serving-file.js';

/**
 * Custom domains as a CLI process sees them: the store, the certificates on disk (read only:
 * `anchor server` obtains and renews them), what the running server serves (tls/serving.json),
 * public DNS and an HTTPS probe. A composition root apart from createLocalPorts, so the commands
 * that never ask for domains (`projects ls`, …) load no TLS, HTTPS or DNS module.
 */
export function createLocalDomainPorts(local: LocalPlatform, options: { publicUrl: string | null; listenHost: string; dnsServers?: string[] | undefined }): DomainPorts {
  const paths = tlsPaths(dirname(local.paths.database));
  const files = new CertificateFiles(paths.certificates);
  const serving = new ServingFile(paths.serving, files);
  const dns = new NodeDnsLookup({ servers: options.dnsServers });
  return {
    domains: new SqliteDomains(local.db),
    certificates: new AcmeCertificates({ files, issuer: null, clock: local.ports.clock, logger: local.ports.logger }),
    routing: new LocalDomainRouting({ publicUrl: options.publicUrl, listenHost: options.listenHost, dns, serving }),
    dns,
    dnsZone: null,
    probe: new LocalSiteProbe({
      dns,
      httpsPort: () => {
        const https = serving.https();
        return 'port' in https ? https.port : null;
      },
    }),
  };
}
