import { AnchorError } from './errors.js';

/**
 * A custom domain as anchor stores and compares it: lower-case ASCII (IDNA names in punycode),
 * no trailing dot, at least two labels. Everything a person or a request gives is passed through
 * `normaliseDomain` before it reaches a store, a certificate request or a DNS query.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** Characters that make a URL parser read something other than a host name. */
const NOT_A_HOST = /[\s/\\:@?#[\]%*,;'"<>^`{|}]/u;
/** Names anchor serves itself, or that no public CA will ever certify. */
const RESERVED_SUFFIXES = ['localhost', 'local', 'invalid', 'internal', 'arpa'];

function invalid(input: string, why: string): AnchorError {
  return new AnchorError({
    code: 'DOMAIN_INVALID',
    kind: 'usage',
    message: `"${input}" is not a domain anchor can serve: ${why}.`,
    hint: 'Pass a host name such as shop.example.com or example.com (no scheme, port or path).',
  });
}

/** Lower-case, IDNA → punycode, no trailing dot; throws DOMAIN_INVALID (usage) with the reason. */
export function normaliseDomain(input: string): string {
  const trimmed = input.trim();
  const bare = trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
  if (bare === '') throw invalid(input, 'it is empty');
  if (bare.startsWith('*')) throw invalid(input, 'wildcards are not supported (HTTP-01 cannot prove them); add each name');
  if (NOT_A_HOST.test(bare)) throw invalid(input, 'a host name has only letters, digits, hyphens and dots');
  let ascii: string;
  try {
    // WHATWG URL host parsing is UTS #46: lower-cases and turns Unicode labels into xn-- punycode.
    ascii = new URL(`http://${bare}/`).hostname;
  } catch {
    throw invalid(input, 'it is not a valid internationalised host name');
  }
  if (ascii.length > 253) throw invalid(input, 'it is longer than 253 characters');
  const labels = ascii.split('.');
  if (labels.length < 2) throw invalid(input, 'a custom domain has at least two labels (example.com)');
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) throw invalid(input, `the label "${bad}" is not 1-63 letters, digits or inner hyphens`);
  const tld = labels[labels.length - 1] as string;
  if (/^[0-9]+$/.test(tld)) throw invalid(input, 'an IP address is not a domain');
  if (RESERVED_SUFFIXES.includes(tld)) throw invalid(input, `.${tld} names are never publicly resolvable or certified`);
  return ascii;
}

/** Like normaliseDomain, but null instead of an error (Host headers, SNI names). */
export function domainOrNull(input: string): string | null {
  try {
    return normaliseDomain(input);
  } catch {
    return null;
  }
}

/** The www companion of a name (`--with-www`, `--redirect-www`); refuses a name that is already www. */
export function wwwOf(name: string): string {
  if (name.startsWith('www.')) {
    throw new AnchorError({
      code: 'DOMAIN_ALREADY_WWW',
      kind: 'usage',
      message: `"${name}" already starts with www., so it has no www companion.`,
      hint: `Add the name without www (anchor domains add ${name.slice(4)} --redirect-www), or drop the www flag.`,
    });
  }
  return `www.${name}`;
}

/**
 * True when a name has a parent within its registrable domain (a subdomain), which can be a CNAME;
 * an apex (example.com, example.co.uk) cannot, so it needs A/AAAA or a provider's ALIAS.
 * Without the public suffix list this reads two labels as an apex, and three under a two-letter
 * country code with a short second level (co.uk, com.au) as one too.
 */
export function isApex(name: string): boolean {
  const labels = name.split('.');
  if (labels.length === 2) return true;
  const [second, tld] = labels.slice(-2) as [string, string];
  return labels.length === 3 && tld.length === 2 && second.length <= 3;
}
