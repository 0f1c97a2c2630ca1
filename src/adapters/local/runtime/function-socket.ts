import { request } from 'node:http';
import { AnchorError } from '../../../core/errors.js';

/**
 * A function process listens on a Unix socket in a folder only the server and its project's uid
 * can enter, never on a TCP port any local process could reach. Its address is written
 * `unix:<socket path>` wherever a URL was (FunctionVersion, the edge's routes).
 */
const PREFIX = 'unix:';

/** sockaddr_un holds 108 bytes with the final NUL; Linux refuses longer paths. */
export const MAX_SOCKET_PATH = 107;

export function socketUrl(socketPath: string): string {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new AnchorError({
      code: 'SOCKET_PATH_TOO_LONG',
      kind: 'internal',
      message: `The function socket path ${socketPath} is longer than the ${MAX_SOCKET_PATH} bytes a Unix socket allows.`,
      hint: 'Point TMPDIR (where anchor server keeps its sockets) at a shorter folder, e.g. TMPDIR=/tmp.',
    });
  }
  return `${PREFIX}${socketPath}`;
}

/** The socket path of a function's address. */
export function socketPathOf(url: string): string {
  if (!url.startsWith(PREFIX)) throw new Error(`not a function socket address: ${url}`);
  return url.slice(PREFIX.length);
}

/** GET `path` from a function with the given headers; resolves with the status once the body is read. */
export function getFromFunction(url: string, path: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketPathOf(url), path, method: 'GET', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.once('error', reject);
    req.end();
  });
}
