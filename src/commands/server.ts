import { resolve as resolvePath } from 'node:path';
import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { durationText } from '../lib/duration-text.js';
import { webhookBaseUrl } from '../cli/platforms.js';
import { parseDuration, parsePort, parsePositiveInt, parsePublicUrl } from './flags.js';

const ISOLATIONS = ['auto', 'uid+bwrap', 'uid', 'bwrap', 'none'] as const;

function parseIsolation(value: unknown): (typeof ISOLATIONS)[number] {
  const text = String(value ?? 'auto');
  const found = ISOLATIONS.find((choice) => choice === text);
  if (found) return found;
  throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--isolation must be one of ${ISOLATIONS.join(', ')}, not "${text}".`, hint: 'Leave it out (auto) to use the strongest this machine offers.' });
}

export default async function server(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  const config = ctx.store.resolveHosted(ctx.platformName, 'server');
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
  const domains = domainOptions(options, config.server.publicUrl ?? null, ctx.env.dnsServers);
  if (domains.publicUrl !== (config.server.publicUrl ?? null)) {
    // Remembered, so "projects add" registers webhooks at the address GitHub can reach.
    config.server = { ...config.server, ...(domains.publicUrl ? { publicUrl: domains.publicUrl } : {}) };
    ctx.store.save(config);
  }
  ctx.store.secureHome();
  let running;
  try {
    running = await ctx.startLocalServer({ dir: config.dir, host, port, concurrency, buildTimeoutMs, buildDir, functionTimeoutMs, idleStopMs, isolation, domains });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AnchorError({ code: 'PORT_IN_USE', kind: 'conflict', message: `Port ${port} on ${host} is already in use (is another anchor server running?).`, hint: 'Stop the other process, or pass --port <another port>.' });
    }
    throw error;
  }
  const projects = await running.ports.projects.list();
  const { isolation: isolated } = running;
  const webhooks = webhookBaseUrl({ ...config, server: { ...config.server, host, port: running.port } });
  const idleText = idleStopMs > 0 ? `sites idle for ${durationText(idleStopMs)} are stopped and start on their next request` : 'sites are never stopped when idle';
  const listening = `${ctx.ui.colors.green('✔')} anchor server is listening on http://${host}:${running.port}${running.httpsPort === null ? '' : ` and HTTPS port ${running.httpsPort}`} (builds: ${concurrency} at a time, ${running.buildRoot.why}; ${idleText}). Ctrl-C stops it.`;
  // No isolation is the first thing said: everything the platform holds is open to its sites.
  const isolationLines = isolated.mode === 'none'
    ? [`${ctx.ui.colors.red('!')} ${isolated.summary}. ${isolated.missing.join('; ')}.`, listening]
    : [listening, `  isolation: ${isolated.summary}${isolated.missing.length > 0 ? ` (${isolated.missing.join('; ')})` : ''}.`];
  isolationLines.push(`  API and dashboard: ${domains.publicUrl ?? `http://localhost:${running.port}`}/ (sign in with "anchor dashboard"; API at /api/v1, tokens from "anchor tokens create").`);
  ctx.ui.result(
    {
      url: `http://${host}:${running.port}`,
      port: running.port,
      https: { port: running.httpsPort, off: running.httpsOff },
      publicUrl: domains.publicUrl,
      buildDir: running.buildRoot.dir,
      idleStopMs,
      isolation: { mode: isolated.mode, summary: isolated.summary, missing: isolated.missing },
      projects: projects.map((p) => ({ name: p.name, url: `http://${p.name}.localhost:${running.port}`, webhook: `${webhooks}/webhook/${p.id}` })),
    },
    () => [...isolationLines, ...projects.map((p) => `  ${p.name.padEnd(16)} http://${p.name}.localhost:${running.port}   webhook: ${webhooks}/webhook/${p.id}`)],
  );
  if (running.httpsOff && options.httpsPort === undefined) ctx.ui.warn(`${running.httpsOff} Custom domains stay on HTTP until then.`);
  if (!domains.publicUrl && (host === '0.0.0.0' || host === '::')) ctx.ui.warn(`Webhook URLs say ${webhooks}, which GitHub cannot reach: pass --public-url <the address GitHub and visitors use>.`);
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

/** `--https-port` (443 by default, off with a warning if it cannot be bound), `--public-url`, `--acme-directory`. */
function domainOptions(options: Record<string, unknown>, savedPublicUrl: string | null, dnsServers: string[] | undefined) {
  const acme = options.acmeDirectory === undefined ? undefined : String(options.acmeDirectory);
  if (acme !== undefined && !/^https:\/\/[^\s/]+\/\S*$/.test(acme)) {
    throw new AnchorError({ code: 'FLAG_INVALID', kind: 'usage', message: `--acme-directory must be the https:// URL of an ACME directory, not "${acme}".`, hint: 'E.g. --acme-directory https://acme-staging-v02.api.letsencrypt.org/directory (Let\'s Encrypt\'s staging CA).' });
  }
  return {
    httpsPort: options.httpsPort === undefined ? 443 : parsePort(options.httpsPort, '--https-port'),
    httpsPortIsDefault: options.httpsPort === undefined,
    publicUrl: options.publicUrl === undefined ? savedPublicUrl : parsePublicUrl(options.publicUrl),
    ...(acme ? { acmeDirectory: acme } : {}),
    ...(dnsServers ? { dnsServers } : {}),
  };
}
