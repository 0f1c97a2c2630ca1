import { Agent } from 'node:https';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Client } from 'acme-client';

export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

/** A failed order, with whether trying again can help and when the CA said to. */
export class AcmeFailure extends Error {
  constructor(
    message: string,
    readonly hard: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** ACME problem types retrying cannot fix (RFC 8555 §6.7): the CA refuses the name itself. */
const HARD = ['caa', 'rejectedIdentifier', 'unsupportedIdentifier', 'badCSR', 'badSignatureAlgorithm'];

export interface AcmeIssuerOptions {
  directoryUrl: string;
  /** The account key (PEM, created with mode 0600 on first use). */
  accountKeyFile: string;
  /** PEM certificates to trust for the directory's own HTTPS (a private CA, Pebble). */
  directoryCa?: string;
  /** How often a pending challenge or order is polled (acme-client's default, 5 s, suits a public CA). */
  pollMs?: number;
}

/**
 * Obtains certificates over HTTP-01 with acme-client (an RFC 8555 client kept by the
 * publishlab project, pinned). anchor answers the challenges itself, from `keyAuthorization`,
 * on `/.well-known/acme-challenge/<token>` of its HTTP port. Each order is for one name, with a
 * new P-256 key (ECDSA handshakes cost a fraction of RSA-2048's).
 */
export class AcmeIssuer {
  private readonly challenges = new Map<string, string>();
  private client: Promise<{ client: Client; acme: typeof import('acme-client') }> | null = null;

  constructor(private readonly options: AcmeIssuerOptions) {}

  get directoryUrl(): string {
    return this.options.directoryUrl;
  }

  /** The answer to an HTTP-01 challenge this issuer is waiting on, or null (any other token). */
  keyAuthorization(token: string): string | null {
    return this.challenges.get(token) ?? null;
  }

  async issue(name: string): Promise<{ keyPem: string; chainPem: string }> {
    const { client, acme } = await this.account();
    let order;
    try {
      order = await client.createOrder({ identifiers: [{ type: 'dns', value: name }] });
    } catch (error) {
      throw classify(error);
    }
    for (const authorization of await client.getAuthorizations(order)) {
      if (authorization.status === 'valid') continue;
      const challenge = authorization.challenges.find((c) => c.type === 'http-01');
      if (!challenge) throw new AcmeFailure(`the CA offers no HTTP-01 challenge for ${name}`, true);
      this.challenges.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } catch (error) {
        // The authorization says why the CA could not validate (its problem type and detail).
        const seen = (await client.getAuthorizations(order).catch(() => [])).flatMap((a) => a.challenges).find((c) => c.token === challenge.token);
        const problem = (seen as { error?: { type?: string; detail?: string } } | undefined)?.error;
        throw problem?.type ? problemFailure(problem.type, problem.detail ?? '') : classify(error);
      } finally {
        this.challenges.delete(challenge.token);
      }
    }
    const [keyPem, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, await acme.crypto.createPrivateEcdsaKey());
    try {
      const finalized = await client.finalizeOrder(order, csr);
      return { keyPem: keyPem.toString(), chainPem: await client.getCertificate(finalized) };
    } catch (error) {
      throw classify(error);
    }
  }

  /** acme-client loads on the first order (axios and its crypto are not needed before). */
  private account(): Promise<{ client: Client; acme: typeof import('acme-client') }> {
    this.client ??= (async () => {
      const acme = (await import('acme-client')).default;
      if (this.options.directoryCa) acme.axios.defaults.httpsAgent = new Agent({ ca: this.options.directoryCa });
      const file = this.options.accountKeyFile;
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        writeFileSync(file, await acme.crypto.createPrivateEcdsaKey(), { mode: 0o600, flag: 'wx' });
      }
      const pollMs = this.options.pollMs;
      const client = new acme.Client({ directoryUrl: this.options.directoryUrl, accountKey: readFileSync(file), ...(pollMs ? { backoffMin: pollMs, backoffMax: pollMs * 4, backoffAttempts: 30 } : {}) });
      await client.createAccount({ termsOfServiceAgreed: true });
      return { client, acme };
    })();
    this.client.catch(() => {
      this.client = null;
    });
    return this.client;
  }
}

function problemFailure(type: string, detail: string): AcmeFailure {
  const short = type.replace('urn:ietf:params:acme:error:', '');
  const why = `${short}: ${detail}`.trim();
  if (short === 'rateLimited') return new AcmeFailure(`the CA's rate limit: ${detail}`, false, 60 * 60_000);
  return new AcmeFailure(why, HARD.includes(short));
}

function classify(error: unknown): AcmeFailure {
  if (error instanceof AcmeFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/rate ?limit|too many/i.test(message)) return new AcmeFailure(`the CA's rate limit: ${message}`, false, 60 * 60_000);
  if (/CAA record|forbidden by policy|not allowed to issue|rejectedIdentifier/i.test(message)) return new AcmeFailure(message, true);
  return new AcmeFailure(message, false);
}
