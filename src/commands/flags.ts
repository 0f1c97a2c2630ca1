import { AnchorError } from '../core/errors.js';

/** Flag parsing shared by command files; the messages name the flag. */
export function parsePort(value: unknown, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `${flag} must be a port number (0-65535), not "${String(value)}".`, hint: `Pass e.g. ${flag} 8080.` });
  }
  return port;
}

export function parsePositiveInt(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `${flag} must be a whole number of at least 1, not "${String(value)}".`, hint: `Pass e.g. ${flag} 2.` });
  }
  return n;
}
