import type { Project } from '../project.js';

/** An HTTPS request with SNI to the name, as a visitor would make it: does the answer come from this project? */
export interface SiteProbe {
  check(project: Project, name: string): Promise<{ ok: boolean; detail: string }>;
}
