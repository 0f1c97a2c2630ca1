import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Clock, DomainPorts, Ports } from '../../../core/ports/index.js';
import { CustomDomainFront } from '../server/custom-domain-front.js';
import { SqliteDomains } from '../store/sqlite-domains.js';
import type { SqliteDatabase } from '../store/sqlite-database.js';
import { NodeDnsLookup } from '../../system/node-dns-lookup.js';
import { AcmeCertificates } from './acme-certificates.js';
import { AcmeIssuer, LETS_ENCRYPT } from './acme-issuer.js';
import { CertificateFiles } from './certificate-files.js';
import { DomainReconciler } from './domain-reconciler.js';
import { HttpsListener, type RequestListener } from './https-listener.js';
import { LocalSiteProbe } from './https-probe.js';
import { LocalDomainRouting, publicHost, type ServingState } from './local-domain-routing.js';
import { ServingFile } from './serving-file.js';
import { SniCertificates } from './sni-certificates.js';

export interface LocalDomainOptions {
  /** Where HTTPS listens; null: no HTTPS (custom domains stay on HTTP). */
  httpsPort: number | null;
  /** The port was a default (443), not asked for: if it cannot be bound, HTTPS is off with a warning instead of an error. */
  httpsPortIsDefault: boolean;
  /** Where visitors and GitHub reach this server (`--public-url`); its host is what domains must point at. */
  publicUrl: string | null;
  acmeDirectory: string;
  /** PEM to trust for the ACME directory's own HTTPS (a private CA; Pebble in tests). */
  acmeDirectoryCa?: string;
  acmePollMs?: number;
  /** Extra roots the HTTPS probe trusts (a private CA's; Pebble's in tests). */
  trustedCa?: string[];
  dnsServers?: string[];
  tickMs?: number;
  /** The clock renewal reads (tests move it on to a certificate's renewal time). */
  clock?: Clock;
}

export const DEFAULT_DOMAIN_OPTIONS: LocalDomainOptions = { httpsPort: null, httpsPortIsDefault: false, publicUrl: null, acmeDirectory: LETS_ENCRYPT };

export function tlsPaths(platformDir: string) {
  return { certificates: join(platformDir, 'tls', 'certs'), accounts: join(platformDir, 'tls', 'accounts'), serving: join(platformDir, 'tls', 'serving.json') };
}

export interface DomainServing {
  ports: DomainPorts;
  front: CustomDomainFront;
  reconciler: DomainReconciler;
  /** Opens the HTTPS port on `host` with the server's request handling, then starts the checks. */
  start(listener: RequestListener, host: string): Promise<{ httpsPort: number | null; off: string | null }>;
  close(): Promise<void>;
}

/** How to let a user's `anchor server` bind 443 (or 80) without running it as root. */
export const PRIVILEGED_PORT_HINT = 'grant it with "sudo setcap cap_net_bind_service=+ep $(command -v node)" (or sysctl net.ipv4.ip_unprivileged_port_start=80), or pass --https-port 8443 behind a port forward';

/**
 * The custom-domain side of `anchor server`: certificates (ACME, renewal), the SNI store, the
 * HTTPS listener, the front that routes custom hosts, and the reconciler that drives it all.
 */
export function createDomainServing(input: { platformDir: string; db: SqliteDatabase; base: Pick<Ports, 'projects' | 'clock' | 'logger'>; listenHost: string; options: LocalDomainOptions }): DomainServing {
  const { options } = input;
  const base = { ...input.base, clock: options.clock ?? input.base.clock };
  const paths = tlsPaths(input.platformDir);
  const files = new CertificateFiles(paths.certificates);
  const directoryKey = createHash('sha256').update(options.acmeDirectory).digest('hex').slice(0, 16);
  const issuer = new AcmeIssuer({ directoryUrl: options.acmeDirectory, accountKeyFile: join(paths.accounts, `${directoryKey}.pem`), directoryCa: options.acmeDirectoryCa, pollMs: options.acmePollMs });
  const sni = new SniCertificates(files);
  const servingFile = new ServingFile(paths.serving, files);
  let httpsPort: number | null = null;
  let off = 'HTTPS is not started yet.';
  const serving: ServingState = {
    https: () => (httpsPort === null ? { off } : { port: httpsPort }),
    serves: (name) => sni.has(name),
    load: (projectId, names) => sni.sync(projectId, names),
  };
  const dns = new NodeDnsLookup({ servers: options.dnsServers });
  let reconciler: DomainReconciler | null = null;
  const certificates = new AcmeCertificates({ files, issuer, clock: base.clock, logger: base.logger, onIssued: () => reconciler?.soon() });
  const ports: DomainPorts = {
    domains: new SqliteDomains(input.db),
    certificates,
    routing: new LocalDomainRouting({ publicUrl: options.publicUrl, listenHost: input.listenHost, dns, serving }),
    dns,
    dnsZone: null,
    probe: new LocalSiteProbe({ dns, httpsPort: () => httpsPort, extraCa: options.trustedCa }),
  };
  const front = new CustomDomainFront({ keyAuthorization: (token) => issuer.keyAuthorization(token), servesHttps: (name) => sni.has(name), httpsPort: () => httpsPort });
  const platform = options.publicUrl?.startsWith('https://') ? publicHost(options.publicUrl, input.listenHost) : null;
  reconciler = new DomainReconciler({ deps: { ...base, ...ports }, front, sni, certificates, files, platformHost: platform, tickMs: options.tickMs ?? 1000 });
  const listener = new HttpsListener(sni);
  return {
    ports,
    front,
    reconciler,
    start: async (requestListener, host) => {
      if (options.httpsPort !== null) {
        try {
          httpsPort = await listener.listen(requestListener, host, options.httpsPort);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (!options.httpsPortIsDefault || (code !== 'EACCES' && code !== 'EADDRINUSE')) throw error;
          off = code === 'EACCES' ? `HTTPS is off: this user may not bind port ${options.httpsPort}; ${PRIVILEGED_PORT_HINT}.` : `HTTPS is off: port ${options.httpsPort} is in use; pass --https-port <another port>.`;
        }
      } else {
        off = 'HTTPS is off (no --https-port).';
      }
      servingFile.write({ httpsPort, off: httpsPort === null ? off : null });
      reconciler?.start();
      return { httpsPort, off: httpsPort === null ? off : null };
    },
    close: async () => {
      // Orders in flight end now: a stopping server waits for no CA.
      issuer.close();
      await reconciler?.close();
      servingFile.remove();
      await listener.close();
    },
  };
}
