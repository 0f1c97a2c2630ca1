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

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

export function parseRegion(value: unknown): string {
  const region = String(value ?? 'ap-southeast-1');
  if (!REGION.test(region)) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--region must be an AWS region such as ap-southeast-1, not "${region}".`, hint: 'Pass e.g. --region ap-southeast-1 (Singapore, the default).' });
  }
  return region;
}
