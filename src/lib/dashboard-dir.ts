import { dirname, join } from 'node:path';
import { templatesDir } from './templates-dir.js';

/** Where the built dashboard is (dist/dashboard/ beside templates/), whether it was built or not. */
export function dashboardDir(): string {
  return join(dirname(templatesDir()), 'dist', 'dashboard');
}
