import { createHmac, randomBytes } from 'node:crypto';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { AnchorError } from '../../core/errors.js';
import { awsErrorNamed } from './aws-errors.js';

/** The per-stage master in SSM; see src/core/origin-guard-wire.ts for what it protects. */

export const originSecretParameter = (stage: string): string => `/anchor/${stage}/origin-secret`;
export const previousOriginSecretParameter = (stage: string): string => `/anchor/${stage}/origin-secret-previous`;

const MASTER = /^[0-9a-f]{64}$/;

export function projectOriginSecret(master: string, project: string): string {
  // 128 bits are plenty for a header nobody can try offline, and keep the function's env small.
  return createHmac('sha256', Buffer.from(master, 'hex')).update(`origin:${project}`).digest('hex').slice(0, 32);
}

async function readMaster(ssm: SSMClient, name: string): Promise<string | null> {
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value ?? '';
    if (!MASTER.test(value)) {
      throw new AnchorError({
        code: 'ORIGIN_SECRET_INVALID',
        kind: 'external',
        message: `The SSM parameter ${name} does not hold 64 hex digits, so CloudFront's origin header cannot be derived from it.`,
        hint: `Delete the parameter (aws ssm delete-parameter --name ${name}) and run "anchor init --aws" again, then "anchor projects add" and a deploy for each project.`,
      });
    }
    return value;
  } catch (error) {
    if (awsErrorNamed(error, 'ParameterNotFound')) return null;
    throw error;
  }
}

/** The stage's master, created (SecureString, never overwritten) when there is none yet. */
export async function ensureOriginSecret(ssm: SSMClient, stage: string): Promise<string> {
  const name = originSecretParameter(stage);
  const existing = await readMaster(ssm, name);
  if (existing) return existing;
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: randomBytes(32).toString('hex'), Overwrite: false, Description: 'anchor: origin header secret of this stage (CloudFront → Function URLs)' }));
  } catch (error) {
    // Another init got there first: use its value.
    if (!(awsErrorNamed(error, 'ParameterAlreadyExists'))) throw error;
  }
  const made = await readMaster(ssm, name);
  if (!made) throw new AnchorError({ code: 'ORIGIN_SECRET_MISSING', kind: 'external', message: `SSM accepted ${name} but does not return it.` });
  return made;
}

/** The values a project's functions accept: the current one first, then the previous one while a rotation is under way. */
export async function acceptedOriginSecrets(ssm: SSMClient, stage: string, project: string): Promise<string[]> {
  const current = await readMaster(ssm, originSecretParameter(stage));
  if (!current) {
    throw new AnchorError({
      code: 'ORIGIN_SECRET_MISSING',
      kind: 'external',
      message: `The stage has no origin secret (${originSecretParameter(stage)}), so its sites would refuse every request.`,
      hint: 'Run "anchor init --aws" again: it creates the secret and updates the platform.',
    });
  }
  const previous = await readMaster(ssm, previousOriginSecretParameter(stage));
  return [current, ...(previous && previous !== current ? [previous] : [])].map((master) => projectOriginSecret(master, project));
}
