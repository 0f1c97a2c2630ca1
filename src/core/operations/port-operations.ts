import { AnchorError } from '../errors.js';
import type { Access } from '../ports/access.js';
import type { Ports } from '../ports/index.js';
import { describeRepo } from '../project.js';
import { publicDeployment } from '../public-deployment.js';
import { listProjects } from '../use-cases/projects.js';
import type { LogTarget, PlatformOperations, TokenInput } from './platform-operations.js';


/**
 * The use cases each command needs, loaded when it first calls one: `projects ls` (the commonest
 * and the one a person waits on) loads none of deploy, env, rollback or tokens.
 */
const useCases = {
  deployments: () => import('../use-cases/deployments.js'),
  env: () => import('../use-cases/env.js'),
  requestDeploy: () => import('../use-cases/request-deploy.js'),
  rollback: () => import('../use-cases/rollback.js'),
  tokens: () => import('../use-cases/tokens.js'),
};
/** A backend's ports as the CLI holds them: the builder only where builds run (aws: CodeBuild keeps secret copies). */
export type OperationPorts = Omit<Ports, 'builder'> & Partial<Pick<Ports, 'builder'>>;

export interface PortOperationsOptions {
  siteUrl(project: string): string | null;
  /** True once a call found no running server to switch (local: the change applies when it starts). */
  serverDeferred(): boolean;
  access(): Promise<Access>;
  /** Why the platform's store is gone (local: its folder was removed, `anchor destroy`), or null while it is there. */
  gone?(): string | null;
}

/** The operations on a platform this machine holds: the core use cases over its ports, as the commands always did. */
export class PortOperations implements PlatformOperations {
  readonly remote = null;

  constructor(
    private readonly ports: OperationPorts,
    private readonly options: PortOperationsOptions,
  ) {}

  async listProjects() {
    const rows = await listProjects(this.ports);
    return rows.map(({ project, live }) => ({ name: project.name, id: project.id, repo: describeRepo(project.repo), branch: project.branch, live }));
  }

  async siteUrl(project: string) {
    return this.options.siteUrl(project);
  }

  async requestDeploy(input: { project: string; ref: string | undefined }) {
    return (await useCases.requestDeploy()).requestDeploy(this.ports, input);
  }

  async listDeployments(input: { project: string; limit: number }) {
    const listed = await (await useCases.deployments()).listDeployments(this.ports, input);
    return { ...listed, deployments: listed.deployments.map(publicDeployment) };
  }

  async showDeployment(input: { id: string; tail: number }) {
    const shown = await (await useCases.deployments()).showDeployment(this.ports, input);
    return { ...shown, deployment: publicDeployment(shown.deployment) };
  }

  async resolveLogTarget(target: string): Promise<LogTarget> {
    const deployment = await (await useCases.deployments()).resolveLogTarget(this.ports, target);
    const project = await this.ports.projects.getById(deployment.projectId);
    return { deploymentId: deployment.id, project: project?.name ?? null, state: deployment.state };
  }

  async readLogs(target: LogTarget, page: { after: number; limit: number }) {
    return this.ports.logs.read(target.deploymentId, page);
  }

  async followLogs(target: LogTarget, input: { after: number; signal: AbortSignal; onLines: Parameters<PlatformOperations['followLogs']>[1]['onLines'] }) {
    // A store removed under it (an open SQLite file outlives its folder) would never change again:
    // following it would wait for ever. Checked once a second.
    const following = new AbortController();
    const forward = (): void => following.abort();
    input.signal.addEventListener('abort', forward);
    let gone: string | null = null;
    const check = setInterval(() => {
      gone = this.options.gone?.() ?? null;
      if (gone !== null) following.abort();
    }, 1000);
    try {
      const end = await (await useCases.deployments()).followLogs(this.ports, { deploymentId: target.deploymentId, after: input.after, signal: following.signal, onLines: input.onLines });
      if (gone !== null) throw new AnchorError({ code: 'PLATFORM_GONE', kind: 'not-found', message: `${gone}; ${target.deploymentId} can no longer be followed.`, hint: 'Run "anchor init" to set up a platform, or pick another with --platform.' });
      return { state: end.state, reason: end.reason };
    } finally {
      clearInterval(check);
      input.signal.removeEventListener('abort', forward);
    }
  }

  async rollback(input: { project: string; to: string | undefined }) {
    const result = await (await useCases.rollback()).rollback(this.ports, input);
    return { ...result, serverDeferred: this.options.serverDeferred() };
  }

  async listEnv(project: string) {
    return (await useCases.env()).listEnv(this.ports, { project });
  }

  async setEnv(input: Parameters<PlatformOperations['setEnv']>[0]) {
    return (await useCases.env()).setEnv(this.ports, input);
  }

  async removeEnv(input: { project: string; key: string }) {
    await (await useCases.env()).removeEnv(this.ports, input);
  }

  async importEnv(input: Parameters<PlatformOperations['importEnv']>[0]) {
    return (await useCases.env()).importEnv(this.ports, input);
  }

  async pullEnv(input: Parameters<PlatformOperations['pullEnv']>[0]) {
    return (await useCases.env()).pullEnv(this.ports, input);
  }

  async listTokens(input: { owner: string | undefined }) {
    const deps = await this.accessDeps();
    // The operator on the platform's machine sees every owner's tokens unless they pick one.
    const ownerId = input.owner === undefined ? null : (await (await useCases.tokens()).resolveOwner(deps, input.owner)).id;
    return (await useCases.tokens()).listTokens(deps, { ownerId });
  }

  async createToken(input: TokenInput) {
    const deps = await this.accessDeps();
    const owner = await (await useCases.tokens()).resolveOwner(deps, input.owner);
    return (await useCases.tokens()).createToken(deps, { ownerId: owner.id, name: input.name, project: input.project, scope: input.scope, expires: input.expires });
  }

  async revokeToken(id: string) {
    return (await useCases.tokens()).revokeToken(await this.accessDeps(), { id, ownerId: null });
  }

  private async accessDeps() {
    return { ...this.ports, access: await this.options.access() };
  }
}
