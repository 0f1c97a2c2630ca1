import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AnchorError } from '../errors.js';

export const TOKEN_SCOPES = ['read', 'deploy', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Each scope includes the ones before it. */
export function scopeAllows(held: TokenScope, needed: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(needed);
}

/**
 * `anc_` + 40 base62 characters of randomness + 6 of CRC32 checksum, like GitHub's tokens: a
 * secret scanner matches the prefix and checks the checksum offline, and a typo is told apart from
 * a revoked token without a store lookup.
 */
export const TOKEN_PREFIX = 'anc_';
const BODY = 40;
const CHECK = 6;
export const TOKEN_PATTERN = /^anc_[0-9A-Za-z]{46}$/;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newToken(): string {
  const body = randomBase62(BODY);
  return `${TOKEN_PREFIX}${body}${checksum(body)}`;
}

/** A random base62 string (rejection sampling: no bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function isWellFormedToken(token: string): boolean {
  if (!TOKEN_PATTERN.test(token)) return false;
  const body = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + BODY);
  return safeEqual(checksum(body), token.slice(TOKEN_PREFIX.length + BODY));
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string comparison (of equal-length hashes or checksums). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function checksum(body: string): string {
  let n = crc32(Buffer.from(body));
  let out = '';
  for (let i = 0; i < CHECK; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Tokens always expire; a year at most. */
export const MAX_TOKEN_DAYS = 365;
export const DEFAULT_TOKEN_EXPIRY = '90d';

/** `90d`, `12h`, `30m` → milliseconds; refuses none, zero, and more than MAX_TOKEN_DAYS. */
export function parseExpiry(value: string): number {
  const match = /^(\d{1,6})([dhm])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'] : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TOKEN_DAYS * 86_400_000) {
    throw new AnchorError({
      code: 'TOKEN_EXPIRY_INVALID',
      kind: 'usage',
      message: `"${value}" is not a token lifetime anchor accepts: every token expires, within ${MAX_TOKEN_DAYS} days.`,
      hint: 'Pass e.g. --expires 90d, --expires 12h or --expires 30m (at most 365d).',
    });
  }
  return ms;
}

export function parseScope(value: string): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(value)) return value as TokenScope;
  throw new AnchorError({ code: 'TOKEN_SCOPE_INVALID', kind: 'usage', message: `"${value}" is not a token scope.`, hint: `Pick one of ${TOKEN_SCOPES.join(', ')} (each includes the ones before it).` });
}
