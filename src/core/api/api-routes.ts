import type { Route } from './api-types.js';
import { ACCESS_ROUTES } from './routes-access.js';
import { PROJECT_ROUTES } from './routes-projects.js';
import { SETTINGS_ROUTES } from './routes-settings.js';

/** Every route of the platform API, in the order they are matched. */
export const API_ROUTES: readonly Route[] = [...ACCESS_ROUTES, ...PROJECT_ROUTES, ...SETTINGS_ROUTES];
