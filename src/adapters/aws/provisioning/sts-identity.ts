import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { AnchorError, errorMessage } from '../../../core/errors.js';

export interface AwsIdentity {
  account: string;
  arn: string;
}

const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials|ProviderError/i;
const BAD_CREDENTIALS = /ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|AccessDenied|InvalidAccessKeyId|TokenRefreshRequired|SSO/i;

/**
 * Who anchor talks to AWS as. Asked first, before anything is bundled or uploaded, so missing or
 * stale credentials end in one clear message instead of a half-created platform.
 */
export async function callerIdentity(sts: STSClient): Promise<AwsIdentity> {
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('GetCallerIdentity returned no account');
    return { account: identity.Account, arn: identity.Arn ?? '' };
  } catch (error) {
    const name = (error as { name?: string })?.name ?? '';
    if (NO_CREDENTIALS.test(name) || NO_CREDENTIALS.test(errorMessage(error))) {
      throw new AnchorError({
        code: 'AWS_NO_CREDENTIALS',
        kind: 'auth',
        message: 'anchor found no AWS credentials to use.',
        hint: 'Set AWS_PROFILE to a profile in ~/.aws/config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run "aws configure" (or "aws sso login" for an SSO profile).',
        cause: error,
      });
    }
    if (BAD_CREDENTIALS.test(name)) {
      throw new AnchorError({
        code: 'AWS_CREDENTIALS_REJECTED',
        kind: 'auth',
        message: `AWS rejected the credentials anchor found: ${errorMessage(error)}`,
        hint: 'Refresh them ("aws sso login", or new keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), or pick another AWS_PROFILE.',
        cause: error,
      });
    }
    throw new AnchorError({ code: 'AWS_UNREACHABLE', kind: 'external', message: `anchor could not ask AWS who it is: ${errorMessage(error)}`, hint: 'Check the network and the region (--region), then run the command again.', cause: error });
  }
}
