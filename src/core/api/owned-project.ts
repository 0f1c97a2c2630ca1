import { AnchorError } from '../errors.js';
import type { Access } from '../ports/access.js';
import type { Ports } from '../ports/index.js';
import type { Project } from '../project.js';

/** Who is calling the API: an owner, with a scope, maybe restricted to one project. */
export interface Caller {
  ownerId: string;
  ownerName: string;
  scope: import('./token-format.js').TokenScope;
  projectId: string | null;
  via: 'token' | 'session';
  tokenId: string | null;
  /** For sessions: the CSRF value writes must send back. */
  csrf: string | null;
  expiresAt: string;
}

/**
 * The project `name` as `ownerId` (and a token restricted to `projectId`) may see it. Another
 * owner's project answers exactly as a project that does not exist: its name says nothing.
 */
export async function ownedProject(deps: Pick<Ports, 'projects'> & { access: Access }, who: { ownerId: string; projectId: string | null }, name: string): Promise<Project> {
  // A name no project can have (a 10 KB path segment) is not looked up at all.
  const project = /^[a-z0-9-]{1,63}$/.test(name) ? await deps.projects.get(name) : null;
  if (project && (who.projectId === null || who.projectId === project.id) && (await deps.access.ownerOf(project.id)) === who.ownerId) return project;
  throw new AnchorError({
    code: 'PROJECT_NOT_FOUND',
    kind: 'not-found',
    message: `There is no project "${name}" on this platform.`,
    hint: 'List the projects you can see: GET /api/v1/projects (or "anchor projects ls").',
  });
}
