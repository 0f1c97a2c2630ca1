import { AnchorError } from './errors.js';

/**
 * The errors every backend raises alike for the same situation, so a script sees the same code and
 * a person the same advice whether the platform is local or on AWS.
 */
export function projectExists(name: string): AnchorError {
  return new AnchorError({
    code: 'PROJECT_EXISTS',
    kind: 'conflict',
    message: `A project named "${name}" already exists.`,
    hint: `Pick another name, or run "anchor projects show ${name}" to see the existing one.`,
  });
}

export function projectGone(project: { name: string; id: string }): AnchorError {
  return new AnchorError({
    code: 'PROJECT_NOT_FOUND',
    kind: 'not-found',
    message: `Project "${project.name}" (${project.id}) does not exist any more.`,
    hint: 'Run "anchor projects ls" to see the projects there are.',
  });
}

/** `project`: the project's id (a store that checked ownership), or `{ name }` when a person named it. */
export function deploymentNotFound(id: string, project?: string | { name: string }): AnchorError {
  const named = typeof project === 'object' ? project.name : null;
  return new AnchorError({
    code: 'DEPLOYMENT_NOT_FOUND',
    kind: 'not-found',
    message: named ? `Project "${named}" has no deployment ${id}.` : project ? `Project ${project} has no deployment ${id}.` : `There is no deployment ${id}.`,
    hint: `Run "anchor deployments ls ${named ?? '<project>'}" to see the deployments there are.`,
  });
}
