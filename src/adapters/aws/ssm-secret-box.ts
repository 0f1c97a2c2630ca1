import { randomUUID } from 'node:crypto';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { AnchorError } from '../../core/errors.js';
import type { SecretBox } from '../../core/ports/secret-box.js';
import { awsErrorNamed } from './aws-errors.js';

export interface SsmSecretBoxOptions {
  ssm: SSMClient;
  /** Where sealed values live, e.g. `/anchor/<stage>/secrets/` (ends with a slash). */
  path: string;
}

const PREFIX = 'ssm:';

/**
 * SecretBox on SSM Parameter Store: `seal` stores the value as a SecureString (encrypted with
 * the account's aws/ssm KMS key, no key of anchor's own) under a new random name and returns the
 * reference `ssm:<name>`; `open` reads it back WithDecryption. The stored value is the JSON of the
 * plaintext, so an empty secret is stored too (SSM refuses empty values). A changed reference
 * names no parameter and fails to open. Intelligent-Tiering lets values above 4 KB in.
 */
export class SsmSecretBox implements SecretBox {
  constructor(private readonly options: SsmSecretBoxOptions) {}

  async seal(plaintext: string): Promise<string> {
    const name = `${this.options.path}${randomUUID()}`;
    await this.options.ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(plaintext), Type: 'SecureString', Overwrite: false, Tier: 'Intelligent-Tiering' }));
    return `${PREFIX}${name}`;
  }

  async open(sealed: string): Promise<string> {
    const name = sealed.startsWith(PREFIX) ? sealed.slice(PREFIX.length) : '';
    if (!name.startsWith(this.options.path) || !/^[0-9a-f-]{36}$/.test(name.slice(this.options.path.length))) throw notSealed();
    let value: string | undefined;
    try {
      value = (await this.options.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
    } catch (error) {
      if (awsErrorNamed(error, 'ParameterNotFound')) throw notSealed(error);
      throw error;
    }
    try {
      const plaintext = JSON.parse(value ?? '') as unknown;
      if (typeof plaintext === 'string') return plaintext;
    } catch {
      // fall through
    }
    throw notSealed();
  }
}

function notSealed(cause?: unknown): AnchorError {
  return new AnchorError({
    code: 'SECRET_UNREADABLE',
    kind: 'internal',
    message: 'A sealed value could not be opened: it does not name a secret this platform stored in SSM.',
    hint: 'Set the variable again with "anchor env set <project> KEY --secret".',
    ...(cause === undefined ? {} : { cause }),
  });
}
