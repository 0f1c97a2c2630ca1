import type { EnvVar } from '../env-var.js';

/** Contract: one value per (project, key); `set` replaces; `setMany` is all-or-nothing. */
export interface EnvVars {
  list(projectId: string): Promise<EnvVar[]>;
  set(v: EnvVar): Promise<void>;
  setMany(vars: EnvVar[]): Promise<void>;
  remove(projectId: string, key: string): Promise<boolean>;
  removeAll(projectId: string): Promise<void>;
}
