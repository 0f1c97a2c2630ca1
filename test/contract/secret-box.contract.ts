import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SecretBox } from '../../src/core/ports/secret-box.js';
import { rejectionOf } from './samples.js';

export interface SecretBoxSubject {
  box: SecretBox;
  cleanup(): Promise<void>;
}

/** Changes one character that is not a separator or padding, so the change cannot be a no-op. */
function tamper(sealed: string, at: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let i = at;
  while (!/[A-Za-z0-9]/.test(sealed[i] ?? '') || /[:=]/.test(sealed[i + 1] ?? ':')) i = (i + 1) % sealed.length;
  const c = sealed[i] as string;
  const replacement = alphabet[(alphabet.indexOf(c) + 7) % alphabet.length] as string;
  return sealed.slice(0, i) + replacement + sealed.slice(i + 1);
}

export function describeSecretBoxContract(name: string, makeAdapter: () => Promise<SecretBoxSubject>): void {
  describe(`SecretBox contract: ${name}`, () => {
    let s: SecretBoxSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('opens what it sealed', async () => {
      for (const plaintext of ['postgres://user:pa55@db:5432/shop', '', 'ünïcödé ✓ 🔑', 'x'.repeat(5000)]) {
        expect(await s.box.open(await s.box.seal(plaintext))).toBe(plaintext);
      }
    });

    it('never shows the plaintext in the sealed value, and seals the same value differently each time', async () => {
      const plaintext = 'sk_live_51HqZ2bKx9R4nT7vPq';
      const a = await s.box.seal(plaintext);
      const b = await s.box.seal(plaintext);

      expect(a).not.toContain(plaintext);
      expect(a).not.toContain(Buffer.from(plaintext).toString('base64').slice(0, 16));
      expect(a).not.toBe(b);
    });

    it('refuses to open a sealed value that was changed anywhere', async () => {
      const sealed = await s.box.seal('the real value');
      for (const position of [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.floor(sealed.length * f))) {
        const changed = tamper(sealed, position);
        expect(changed).not.toBe(sealed);
        await rejectionOf(s.box.open(changed));
      }
    });

    it('refuses a value it never sealed', async () => {
      await rejectionOf(s.box.open('plain text'));
      await rejectionOf(s.box.open(''));
    });
  });
}
