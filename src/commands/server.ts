import { resolve as resolvePath } from 'node:path';
import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { parsePort, parsePositiveInt } from './flags.js';

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
  const isolation = parseIsolation(options.isolation);
  ctx.store.secureHome();
  const { startLocalServer } = await import('../adapters/local/server/create-local-server.js');
  let running;
  try {
    running = await startLocalServer({ dir: config.dir, baseEnv: ctx.env.baseEnv, githubToken: ctx.env.githubToken, githubApiUrl: ctx.env.githubApiUrl, host, port, concurrency, buildTimeoutMs, buildDir, isolation });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AnchorError({ code: 'PORT_IN_USE', kind: 'conflict', message: `Port ${port} on ${host} is already in use (is another anchor server running?).`, hint: 'Stop the other process, or pass --port <another port>.' });
    }
    throw error;
  }
  const projects = await running.ports.projects.list();
  const { isolation: isolated } = running;
  const listening = `${ctx.ui.colors.green('✔')} anchor server is listening on http://${host}:${running.port} (builds: ${concurrency} at a time, ${running.buildRoot.why}). Ctrl-C stops it.`;
  // No isolation is the first thing said: everything the platform holds is open to its sites.
  const isolationLines = isolated.mode === 'none'
    ? [`${ctx.ui.colors.red('!')} ${isolated.summary}. ${isolated.missing.join('; ')}.`, listening]
    : [listening, `  isolation: ${isolated.summary}${isolated.missing.length > 0 ? ` (${isolated.missing.join('; ')})` : ''}.`];
  ctx.ui.result({ url: `http://${host}:${running.port}`, port: running.port, buildDir: running.buildRoot.dir, isolation: { mode: isolated.mode, summary: isolated.summary, missing: isolated.missing }, projects: projects.map((p) => ({ name: p.name, url: `http://${p.name}.localhost:${running.port}`, webhook: `http://${host}:${running.port}/webhook/${p.id}` })) }, () => [
    ...isolationLines,
    ...projects.map((p) => `  ${p.name.padEnd(16)} http://${p.name}.localhost:${running.port}   webhook: /webhook/${p.id}`),
  ]);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.ui.info('Stopping: running builds are stopped and will start again with the next server.');
  await running.close();
}
