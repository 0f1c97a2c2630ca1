/**
 * The limits a project's functions run under, on Lambda (infra/stack/project-template.ts) and on
 * the local edge alike: a request the site has not answered by then ends (504 locally).
 */
export const FUNCTION_TIMEOUT_SECONDS = { server: 30, image: 25 } as const;
