import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;

/**
 * node:crypto, loaded when first used. Loading it costs a CLI process about 4 ms, and most
 * commands (`projects ls`, `deployments ls`, `--help`) never seal a secret or make an id; the
 * adapters those commands construct call this instead of importing it.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= load('node:crypto') as typeof import('node:crypto');
  return crypto;
}
