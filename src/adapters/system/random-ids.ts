import { nodeCrypto } from './node-crypto.js';
import type { Ids } from '../../core/ports/system.js';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * ULID-style ids (48-bit time + 80 random bits, Crockford base32, lower case) so that ids sort by
 * creation time; monotonic within one millisecond.
 */
export class RandomIds implements Ids {
  private lastTime = 0;
  private lastRandom: Buffer = Buffer.alloc(10);

  next(prefix: string): string {
    const time = Date.now();
    if (time === this.lastTime) {
      for (let i = 9; i >= 0; i--) {
        const byte = this.lastRandom[i] ?? 0;
        if (byte < 255) {
          this.lastRandom[i] = byte + 1;
          break;
        }
        this.lastRandom[i] = 0;
      }
    } else {
      this.lastTime = time;
      this.lastRandom = nodeCrypto().randomBytes(10);
    }
    return `${prefix}_${encodeTime(time)}${encodeBytes(this.lastRandom)}`;
  }

  secret(bytes: number): string {
    return nodeCrypto().randomBytes(bytes).toString('base64url');
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeBytes(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}
