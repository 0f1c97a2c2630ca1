import { isEnded, type DeploymentState } from '../deployment.js';
import type { Ports } from '../ports/index.js';

/** How often an idle stream sends a comment, so proxies keep it open. */
const HEARTBEAT_MS = 15_000;

function event(name: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A deployment's log as Server-Sent Events, from line `after` (the client's Last-Event-ID) until
 * the deployment ends and every line is sent: `line` events (id = the line's seq), `state` when
 * the state changes, and one `end` last. Polls the stores as `anchor logs --follow` does; with
 * `once`, sends what there is now (and `end` if it has ended) and returns.
 */
export async function* streamLogs(
  deps: Pick<Ports, 'deployments' | 'logs' | 'clock'>,
  input: { deploymentId: string; after: number; signal?: AbortSignal | undefined; pollMs?: number; once?: boolean },
): AsyncGenerator<string> {
  let after = input.after;
  let state: DeploymentState | null = null;
  let settled = false;
  let quietSince = deps.clock.now().getTime();
  yield 'retry: 2000\n\n';
  for (;;) {
    if (input.signal?.aborted) return;
    // The state before the lines: lines written before the end are then all seen.
    const deployment = await deps.deployments.get(input.deploymentId);
    if (!deployment) return yield event('end', { state: 'removed' });
    if (deployment.state !== state) {
      state = deployment.state;
      yield event('state', { state });
    }
    for (;;) {
      const lines = await deps.logs.read(input.deploymentId, { after, limit: 500 });
      if (lines.length === 0) break;
      let chunk = '';
      for (const line of lines) chunk += event('line', { seq: line.n, at: line.at, text: line.text }, line.n);
      after = lines[lines.length - 1]?.n ?? after;
      quietSince = deps.clock.now().getTime();
      yield chunk;
    }
    if (isEnded(deployment.state)) {
      // The pipeline writes its closing line just after the state changes: read once more.
      if (settled) return yield event('end', { state: deployment.state });
      settled = true;
      if (input.once) continue;
    }
    // A transport that cannot hold the stream: what there is, then the client comes back.
    if (input.once) return;
    if (deps.clock.now().getTime() - quietSince >= HEARTBEAT_MS) {
      quietSince = deps.clock.now().getTime();
      yield ': keep-alive\n\n';
    }
    await deps.clock.sleep(input.pollMs ?? 250, input.signal);
  }
}
