import type { Project } from '../project.js';

/**
 * Contract: names are unique per platform (`create` fails with PROJECT_EXISTS, writing nothing);
 * `get`/`getById` return null for unknown projects; `remove` deletes the project's env vars too.
 */
export interface Projects {
  create(project: Project): Promise<void>;
  get(name: string): Promise<Project | null>;
  getById(id: string): Promise<Project | null>;
  list(): Promise<Project[]>;
  update(project: Project): Promise<void>;
  remove(id: string): Promise<void>;
}
