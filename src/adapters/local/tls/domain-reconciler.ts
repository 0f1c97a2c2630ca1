import type { DomainState } from '../../../core/domain.js';
import { errorMessage } from '../../../core/errors.js';
import type { Ports } from '../../../core/ports/index.js';
import { checkProjectDomains, type CheckDomainsDeps } from '../../../core/use-cases/check-domains.js';
import type { CustomDomainFront } from '../server/custom-domain-front.js';
import type { AcmeCertificates } from './acme-certificates.js';
import type { CertificateFiles } from './certificate-files.js';
import type { SniCertificates } from './sni-certificates.js';

/** How soon a project is checked again, by the least settled state among its domains. */
const RECHECK_MS: Record<DomainState, number> = {
  provisioning: 2_000,
  pending_certificate: 3_000,
  pending_dns: 15_000,
  misconfigured: 30_000,
  active: 5 * 60_000,
  conflict: 10 * 60_000,
  failed: 10 * 60_000,
};

export interface DomainReconcilerOptions {
  deps: CheckDomainsDeps & Pick<Ports, 'projects'>;
  front: CustomDomainFront;
  sni: SniCertificates;
  certificates: AcmeCertificates;
  files: CertificateFiles;
  /** The platform's own host (an https --public-url): certified and served like a domain, routed to the platform. */
  platformHost: string | null;
  tickMs: number;
}

/**
 * Drives the local domains forward inside `anchor server`: each tick it reloads the host table
 * (a domain added or removed by the CLI is routed, or no longer, within a tick), lets go of the
 * certificates of names no longer registered, and runs the core check for each project that is
 * due. Renewal happens in those checks: an active domain is checked every few minutes and its
 * certificate renewed once two thirds of its lifetime have passed.
 */
export class DomainReconciler {
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: DomainReconcilerOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** Checks every project now (and waits for it): after an issuance, a renewal, or in tests. */
  async refresh(): Promise<void> {
    await this.running;
    this.due.clear();
    await this.tick();
  }

  /** A name's certificate was just written: check its project at the next tick. */
  soon(): void {
    this.due.clear();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.options.deps.logger.error('domains: a check failed', { error: errorMessage(error) }))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { deps, front, sni, files, platformHost } = this.options;
    const [domains, projects] = await Promise.all([deps.domains.list(), deps.projects.list()]);
    const byId = new Map(projects.map((p) => [p.id, p]));
    front.replace(domains, new Map(projects.map((p) => [p.id, p.name])));
    const registered = new Set(domains.filter((d) => byId.has(d.projectId)).map((d) => d.name));
    if (platformHost) registered.add(platformHost);
    sni.retain(registered);
    for (const name of files.names()) {
      if (registered.has(name)) continue;
      files.remove(name);
      deps.logger.info(`domains: ${name} is no longer registered; its certificate is deleted`);
    }
    if (platformHost) {
      this.options.certificates.ensureName(platformHost, true);
      sni.sync(null, [platformHost]);
    }
    const now = deps.clock.now().getTime();
    for (const projectId of new Set(domains.map((d) => d.projectId))) {
      const project = byId.get(projectId);
      if (!project || (this.due.get(projectId) ?? 0) > now) continue;
      const checked = await checkProjectDomains(deps, project);
      const soonest = Math.min(...checked.map((d) => RECHECK_MS[d.state]));
      this.due.set(projectId, now + soonest);
    }
    for (const projectId of this.due.keys()) if (!byId.has(projectId) || !domains.some((d) => d.projectId === projectId)) this.due.delete(projectId);
  }
}
