import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseDomain } from '../core/domain-name.js';
import { AnchorError } from '../core/errors.js';

/** Flag parsing shared by command files (zod at the edge); the messages name the flag. */
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);

export function parsePort(value: unknown, flag: string): number {
  const parsed = port.safeParse(value);
  if (!parsed.success) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `${flag} must be a port number (0-65535), not "${String(value)}".`, hint: `Pass e.g. ${flag} 8080.` });
  }
  return parsed.data;
}

export function parsePositiveInt(value: unknown, flag: string): number {
  const parsed = positiveInt.safeParse(value);
  if (!parsed.success) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `${flag} must be a whole number of at least 1, not "${String(value)}".`, hint: `Pass e.g. ${flag} 2.` });
  }
  return parsed.data;
}

const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/);

export function parseRegion(value: unknown): string {
  const text = String(value ?? 'ap-southeast-1');
  if (!region.safeParse(text).success) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--region must be an AWS region such as ap-southeast-1, not "${text}".`, hint: 'Pass e.g. --region ap-southeast-1 (Singapore, the default).' });
  }
  return text;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** A duration such as `15m`, `30s`, `1h` or `500ms`, in milliseconds; `0` and `off` are 0 (never). */
export function parseDuration(value: unknown, flag: string): number {
  const text = String(value).trim().toLowerCase();
  if (text === '0' || text === 'off') return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|min|m|h)$/.exec(text);
  const ms = match ? Math.round(Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? NaN)) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `${flag} must be a duration such as 15m, 30s or 1h (or 0 / off), not "${String(value)}".`, hint: `Pass e.g. ${flag} 15m.` });
  }
  return ms;
}

/**
 * `--public-url`: where visitors and GitHub reach anchor server (`https://anchor.example.com`,
 * `http://203.0.113.7:8080`). An origin only: a path, query or credentials would end up in every
 * webhook URL.
 */
export function parsePublicUrl(value: unknown): string {
  const text = String(value ?? '').trim();
  const refuse = (why: string) =>
    new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--public-url "${text}" ${why}.`, hint: 'Pass the address visitors use, e.g. --public-url https://anchor.example.com (scheme and host, a port if not the default).' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must start with https:// or http://');
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') throw refuse('must be a scheme, a host and a port only (no path, query or credentials)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isIP(host)) normaliseDomainFor(text, host);
  return url.origin;
}

function normaliseDomainFor(text: string, host: string): void {
  try {
    normaliseDomain(host);
  } catch (error) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--public-url "${text}": ${(error as Error).message}`, hint: 'Use the host name visitors resolve to this server, or its IP address.' });
  }
}
