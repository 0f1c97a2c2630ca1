import { Agent } from 'node:https';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Client, Order } from 'acme-client';

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
  /** How often a pending challenge or order is polled (2 s suits a public CA). */
  pollMs?: number;
  /** How long an order may take from the challenge to the certificate. */
  orderTimeoutMs?: number;
}

type Acme = typeof import('acme-client');
type RequestConfig = { url?: string; signal?: AbortSignal; retryAttempt?: number };

/**
 * Obtains certificates over HTTP-01 with acme-client (an RFC 8555 client kept by the publishlab
 * project, pinned). anchor answers the challenges itself, from `keyAuthorization`, on
 * `/.well-known/acme-challenge/<token>` of its HTTP port. Each order is for one name, with a new
 * P-256 key (an ECDSA handshake costs a fraction of an RSA-2048 one). The polling is anchor's own,
 * and every request carries an abort signal: `close` ends an order at once, leaving no request or
 * timer behind that would keep a stopping server alive.
 */
export class AcmeIssuer {
  private readonly challenges = new Map<string, string>();
  private readonly stop = new AbortController();
  private readonly inFlight = new Set<RequestConfig>();
  private client: Promise<{ client: Client; acme: Acme }> | null = null;
  private eject: (() => void) | null = null;

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
    let order = await this.step(() => client.createOrder({ identifiers: [{ type: 'dns', value: name }] }));
    for (const authorization of await this.step(() => client.getAuthorizations(order))) {
      if (authorization.status === 'valid') continue;
      const challenge = authorization.challenges.find((c) => c.type === 'http-01');
      if (!challenge) throw new AcmeFailure(`the CA offers no HTTP-01 challenge for ${name}`, true);
      this.challenges.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
      try {
        await this.step(() => client.completeChallenge(challenge));
        await this.until(async () => {
          const seen = (await client.getAuthorizations(order)).flatMap((a) => a.challenges).find((c) => c.token === challenge.token) as { status?: string; error?: { type?: string; detail?: string } } | undefined;
          if (seen?.status === 'invalid') throw problemFailure(seen.error?.type ?? 'unauthorized', seen.error?.detail ?? 'the CA could not validate the challenge');
          return seen?.status === 'valid';
        });
      } finally {
        this.challenges.delete(challenge.token);
      }
    }
    const [keyPem, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, await acme.crypto.createPrivateEcdsaKey());
    order = await this.step(() => client.finalizeOrder(order, csr));
    await this.until(async () => {
      order = await client.getOrder(order);
      if (order.status === 'invalid') throw new AcmeFailure(`the CA refused to finalize the order: ${JSON.stringify((order as Order & { error?: unknown }).error ?? {})}`, false);
      return order.status === 'valid';
    });
    return { keyPem: keyPem.toString(), chainPem: await this.step(() => client.getCertificate(order)) };
  }

  /** Ends every order at once (the server is stopping). */
  close(): void {
    this.stop.abort();
    // No retry for what is in flight: acme-client would otherwise wait and send it again.
    for (const config of this.inFlight) config.retryAttempt = Number.MAX_SAFE_INTEGER;
    this.eject?.();
  }

  /** One call to the CA, its error classified (hard, rate limited, or worth another try later). */
  private async step<T>(call: () => Promise<T>): Promise<T> {
    if (this.stop.signal.aborted) throw new AcmeFailure('anchor server is stopping', false);
    try {
      return await call();
    } catch (error) {
      // acme-client turns a request that got no answer at all into this TypeError (its response is undefined).
      if (error instanceof TypeError && /reading 'config'/.test(error.message)) throw new AcmeFailure(this.stop.signal.aborted ? 'anchor server is stopping' : `the CA at ${this.options.directoryUrl} did not answer`, false);
      throw classify(error);
    }
  }

  /** Polls until `done` says so, with a sleep the stop signal ends. */
  private async until(done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + (this.options.orderTimeoutMs ?? 5 * 60_000);
    while (!(await this.step(done))) {
      if (Date.now() > deadline) throw new AcmeFailure('the CA did not finish the order in time', false);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 2000);
        this.stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  /** acme-client loads on the first order (axios and its crypto are not needed before). */
  private account(): Promise<{ client: Client; acme: Acme }> {
    this.client ??= (async () => {
      const acme = (await import('acme-client')).default as unknown as Acme;
      if (this.options.directoryCa) acme.axios.defaults.httpsAgent = new Agent({ ca: this.options.directoryCa });
      // anchor retries a failed order itself, with its own backoff: acme-client's waits between retries would outlive a stop.
      const defaults = acme.axios.defaults as typeof acme.axios.defaults & { acmeSettings: Record<string, number> };
      defaults.acmeSettings = { ...defaults.acmeSettings, retryMaxAttempts: 0 };
      const origin = new URL(this.options.directoryUrl).origin;
      // Every request to this CA carries the stop signal and is tracked while in flight.
      const id = acme.axios.interceptors.request.use((config) => {
        const request = config as typeof config & RequestConfig;
        if (!request.url?.startsWith(origin)) return config;
        if (this.stop.signal.aborted) throw Object.assign(new Error('anchor server is stopping'), { code: 'ECONNABORTED' });
        request.signal = this.stop.signal;
        this.inFlight.add(request);
        return config;
      });
      const done = acme.axios.interceptors.response.use(
        (response) => (this.inFlight.delete(response.config as RequestConfig), response),
        (error: { config?: RequestConfig }) => {
          if (error.config) this.inFlight.delete(error.config);
          return Promise.reject(error);
        },
      );
      this.eject = () => {
        acme.axios.interceptors.request.eject(id);
        acme.axios.interceptors.response.eject(done);
      };
      const file = this.options.accountKeyFile;
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        writeFileSync(file, await acme.crypto.createPrivateEcdsaKey(), { mode: 0o600, flag: 'wx' });
      }
      const client = new acme.Client({ directoryUrl: this.options.directoryUrl, accountKey: readFileSync(file) });
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
  if (short === 'rateLimited') return new AcmeFailure(`the CA's rate limit: ${detail}`, false, 60 * 60_000);
  return new AcmeFailure(`${short}: ${detail}`.trim(), HARD.includes(short));
}

function classify(error: unknown): AcmeFailure {
  if (error instanceof AcmeFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/rate ?limit|too many/i.test(message)) return new AcmeFailure(`the CA's rate limit: ${message}`, false, 60 * 60_000);
  if (/CAA record|forbidden by policy|not allowed to issue|rejectedIdentifier/i.test(message)) return new AcmeFailure(message, true);
  return new AcmeFailure(message, false);
}
