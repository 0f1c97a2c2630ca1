import { AnchorError, type ErrorKind } from '../../../core/errors.js';

/** `reached: false` when no server listens on the socket (none runs, or one died). */
export type ControlAnswer<T> = { reached: false } | { reached: true; value: T };

const KIND: Record<number, ErrorKind> = { 400: 'usage', 404: 'not-found', 409: 'conflict', 403: 'auth' };

/**
 * Calls an action of a running server's control socket (control-socket.ts). node:http loads on
 * the first call: `projects ls` and the other commands that never call the server start without it.
 */
export async function callControl<T>(socketPath: string, action: string, body: unknown, timeoutMs = 120_000): Promise<ControlAnswer<T>> {
  const { request } = await import('node:http');
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: `/v1/${action}`, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          let answer: { code?: string; message?: string; hint?: string | null } & Record<string, unknown> = {};
          try {
            answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answer;
          } catch {
            // Not JSON: the status says enough.
          }
          const status = res.statusCode ?? 500;
          if (status < 400) return resolve({ reached: true, value: answer as T });
          reject(new AnchorError({
            code: answer.code ?? 'SERVER_ERROR',
            kind: KIND[status] ?? 'external',
            message: `anchor server could not ${action.replace(/-/g, ' ')}: ${answer.message ?? `HTTP ${status}`}`,
            hint: answer.hint ?? 'Look at the anchor server output for details.',
          }));
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`anchor server did not answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') resolve({ reached: false });
      else reject(error);
    });
    req.end(text);
  });
}
