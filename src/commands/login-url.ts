import { isIP } from 'node:net';
import { AnchorError } from '../core/errors.js';

/**
 * The platform's address for `anchor login`: https://, or http:// only to this machine (a token
 * sent in the clear over a network can be read on the way). An origin with maybe a path prefix;
 * no credentials, query or fragment.
 */
export function parseLoginUrl(value: string): string {
  const refuse = (why: string, hint = 'Pass the platform\'s address, e.g. anchor login https://anchor.example.com') => new AnchorError({ code: 'LOGIN_URL_INVALID', kind: 'usage', message: `"${value}" ${why}.`, hint });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.username || url.password || url.search || url.hash) throw refuse('must not hold credentials, a query or a fragment');
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw refuse('is not https://: the API token would cross the network in the clear', `Use https:// (put anchor server behind a TLS proxy, or use its --public-url https address); http:// is accepted only for this machine (localhost, 127.0.0.1, [::1]).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must start with https://');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** A platform name from the host: `anchor.example.com` → `anchor-example-com`. */
export function platformNameFor(url: string): string {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const name = host.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32).replace(/-+$/, '');
  return /^[a-z0-9]/.test(name) ? name : `remote-${name}`.slice(0, 32);
}
