import { chmodSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AnchorError, type ErrorKind } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/system.js';

/** A control action: validates its own input (throwing a usage AnchorError) and answers JSON. */
export type ControlAction = (body: unknown) => Promise<unknown>;

const MAX_BODY_BYTES = 64 * 1024;

const STATUS: Record<ErrorKind, number> = { usage: 400, 'not-found': 404, conflict: 409, auth: 403, external: 502, failed: 500, internal: 500 };

/**
 * `anchor server`'s control API, for the CLI on the same machine (rollbacks, projects rm): HTTP
 * on a Unix socket in the platform dir, mode 0600, never on a TCP port. Only the server's user
 * (and root) can connect, and a site never can: its sandbox does not see the platform dir, and
 * its uid may not enter it. `POST /v1/<action>` with a JSON body; bad input is a 400 with a
 * message, an unknown action a 404.
 */
export class ControlSocket {
  private readonly server: Server;

  constructor(
    private readonly path: string,
    private readonly actions: Record<string, ControlAction>,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  async listen(): Promise<void> {
    // A socket file left by a server that was killed: nobody listens there (the server lock says so).
    rmSync(this.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.path, 0o600);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    rmSync(this.path, { force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const action = /^\/v1\/([a-z-]+)$/.exec(req.url ?? '')?.[1];
    const run = action === undefined ? undefined : this.actions[action];
    if (run === undefined || req.method !== 'POST') return answer(res, 404, { code: 'NO_SUCH_ACTION', message: `No control action ${req.method ?? ''} ${req.url ?? ''}; actions are POST /v1/<${Object.keys(this.actions).join('|')}>.` });
    try {
      const result = await run(await readJson(req));
      answer(res, 200, result ?? {});
    } catch (error) {
      if (error instanceof AnchorError) return answer(res, STATUS[error.kind], { code: error.code, message: error.message, hint: error.hint ?? null });
      this.logger.error('control action failed', { action, error: error instanceof Error ? error.message : String(error) });
      answer(res, 500, { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badInput(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text === '' ? '{}' : text) as unknown;
  } catch {
    throw badInput('the body is not JSON');
  }
}

export function badInput(why: string): AnchorError {
  return new AnchorError({ code: 'BAD_CONTROL_REQUEST', kind: 'usage', message: `Bad control request: ${why}.` });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}
