import type { Deployment } from './deployment.js';

export type PublicDeployment = Omit<Deployment, 'runtimeEnv'> & {
  runtimeEnv: Record<string, { value: string | null; secret: boolean }> | null;
};

/**
 * A deployment as shown to anyone (`deployments ls/show --json`, an API): its secret env values
 * are null, never their sealed form. The ciphertext is useless without the platform key, but it
 * is the platform's to keep, and a value that leaves never needs to be taken back.
 */
export function publicDeployment(deployment: Deployment): PublicDeployment {
  const env = deployment.runtimeEnv;
  return {
    ...deployment,
    runtimeEnv: env === null ? null : Object.fromEntries(Object.entries(env).map(([key, entry]) => [key, { value: entry.secret ? null : entry.value, secret: entry.secret }])),
  };
}
