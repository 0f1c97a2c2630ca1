import { describe, expect, it } from 'vitest';
import { isLoopback, parseLoginUrl, platformNameFor } from '../../src/commands/login-url.js';
import { AnchorError } from '../../src/core/errors.js';

function refusal(value: string): string {
  try {
    parseLoginUrl(value);
  } catch (error) {
    return (error as AnchorError).code;
  }
  return 'accepted';
}

describe('anchor login <url>', () => {
  it('takes https anywhere and http only to this machine', () => {
    expect(parseLoginUrl('https://anchor.example.com/')).toBe('https://anchor.example.com');
    expect(parseLoginUrl('https://anchor.example.com:8443/platform/')).toBe('https://anchor.example.com:8443/platform');
    expect(parseLoginUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(parseLoginUrl('http://localhost:8080')).toBe('http://localhost:8080');
    expect(parseLoginUrl('http://[::1]:8080')).toBe('http://[::1]:8080');
    for (const bad of ['http://anchor.example.com', 'http://10.0.0.5:8080', 'http://shop.localhost:8080', 'http://127.0.0.1.nip.io', 'http://[::ffff:7f00:1]']) expect(refusal(bad)).toBe('LOGIN_URL_INVALID');
  });

  it('refuses what is not an address of a platform', () => {
    for (const bad of ['anchor.example.com', '', 'ftp://anchor.example.com', 'https://user:pw@anchor.example.com', 'https://anchor.example.com/?token=x', 'https://anchor.example.com/#x']) expect(refusal(bad)).toBe('LOGIN_URL_INVALID');
  });

  it('names the platform after its host', () => {
    expect(platformNameFor('https://anchor.example.com')).toBe('anchor-example-com');
    expect(platformNameFor('http://127.0.0.1:8080')).toBe('127-0-0-1');
    expect(platformNameFor('http://[::1]:8080')).toBe('1');
    expect(isLoopback('127.3.4.5')).toBe(true);
  });
});
