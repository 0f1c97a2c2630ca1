import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>` over the exact raw bytes, as GitHub sends in X-Hub-Signature-256. */
export function signPayload(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Constant-time check against each accepted secret (current, and the previous one during a
 * rotation). GitHub writes the digest in lower-case hex, and nothing else is accepted.
 */
export function verifySignature(secrets: readonly string[], body: Uint8Array, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const given = Buffer.from(header.slice(7), 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    // Compare against every secret (no early exit) so timing says nothing about which one matched.
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}
