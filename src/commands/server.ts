import { resolve as resolvePath } from 'node:path';
import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { durationText } from '../lib/duration-text.js';
import { parseDuration, parsePort, parsePositiveInt } from './flags.js';

const ISOLATIONS = ['auto', 'uid+bwrap', 'uid', 'bwrap', 'none'] as const;

function parseIsolation(value: unknown): (typeof ISOLATIONS)[number] {
  const text = String(value ?? 'auto');
  const found = ISOLATIONS.find((choice) => choice === text);
  if (found) return found;
  throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--isolation must be one of ${ISOLATIONS.join(', ')}, not "${text}".`, hint: 'Leave it out (auto) to use the strongest this machine offers.' });
}

export default async function server(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const config = ctx.store.resolve(ctx.platformName);
  if (config.backend !== 'local') {
    throw new AnchorError({ code: 'NOT_LOCAL_PLATFORM', kind: 'usage', message: `Platform "${config.name}" runs in AWS (${config.region}); "anchor server" runs a local platform.`, hint: 'Its webhooks, builds and sites run in your AWS account already; pick a local platform with --platform <name>.' });
  }
  const host = String(options.host ?? config.server.host);
  const port = options.port === undefined ? config.server.port : parsePort(options.port, '--port');
  const concurrency = parsePositiveInt(options.concurrency ?? 2, '--concurrency');
  const buildTimeoutMs = parsePositiveInt(options.buildTimeout ?? 30, '--build-timeout') * 60_000;
  const buildDir = options.buildDir === undefined ? undefined : resolvePath(String(options.buildDir));
  const functionTimeoutMs = options.functionTimeout === undefined ? undefined : parsePositiveInt(options.functionTimeout, '--function-timeout') * 1000;
  const idleStopMs = parseDuration(options.idleStop ?? '15m', '--idle-stop');
  const isolation = parseIsolation(options.isolation);
  ctx.store.secureHome();
  let running;
  try {
    running = await ctx.startLocalServer({ dir: config.dir, host, port, concurrency, buildTimeoutMs, buildDir, functionTimeoutMs, idleStopMs, isolation });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AnchorError({ code: 'PORT_IN_USE', kind: 'conflict', message: `Port ${port} on ${host} is already in use (is another anchor server running?).`, hint: 'Stop the other process, or pass --port <another port>.' });
    }
    throw error;
  }
  const projects = await running.ports.projects.list();
  const { isolation: isolated } = running;
  const idleText = idleStopMs > 0 ? `sites idle for ${durationText(idleStopMs)} are stopped and start on their next request` : 'sites are never stopped when idle';
  const listening = `${ctx.ui.colors.green('✔')} anchor server is listening on http://${host}:${running.port} (builds: ${concurrency} at a time, ${running.buildRoot.why}; ${idleText}). Ctrl-C stops it.`;
  // No isolation is the first thing said: everything the platform holds is open to its sites.
  const isolationLines = isolated.mode === 'none'
    ? [`${ctx.ui.colors.red('!')} ${isolated.summary}. ${isolated.missing.join('; ')}.`, listening]
    : [listening, `  isolation: ${isolated.summary}${isolated.missing.length > 0 ? ` (${isolated.missing.join('; ')})` : ''}.`];
  ctx.ui.result({ url: `http://${host}:${running.port}`, port: running.port, buildDir: running.buildRoot.dir, idleStopMs, isolation: { mode: isolated.mode, summary: isolated.summary, missing: isolated.missing }, projects: projects.map((p) => ({ name: p.name, url: `http://${p.name}.localhost:${running.port}`, webhook: `http://${host}:${running.port}/webhook/${p.id}` })) }, () => [
    ...isolationLines,
    ...projects.map((p) => `  ${p.name.padEnd(16)} http://${p.name}.localhost:${running.port}   webhook: /webhook/${p.id}`),
  ]);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  ctx.ui.info('Stopping: running builds are stopped and will start again with the next server (a second Ctrl-C stops at once).');
  // The listeners are gone: a second signal ends the process at once (what is left, the next
  // server reaps), for an operator who does not want to wait.
  await running.close();
}
