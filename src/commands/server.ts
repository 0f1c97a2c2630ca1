import { resolve as resolvePath } from 'node:path';
import { AnchorError } from '../core/errors.js';
import type { Context } from '../cli/context.js';
import { webhookBaseUrl } from '../cli/platforms.js';
import { parsePort, parsePositiveInt, parsePublicUrl } from './flags.js';

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
  const domains = domainOptions(options, config.server.publicUrl ?? null, ctx.env.dnsServers);
  if (domains.publicUrl !== (config.server.publicUrl ?? null)) {
    // Remembered, so "projects add" registers webhooks at the address GitHub can reach.
    config.server = { ...config.server, ...(domains.publicUrl ? { publicUrl: domains.publicUrl } : {}) };
    ctx.store.save(config);
  }
  const { startLocalServer } = await import('../adapters/local/server/create-local-server.js');
  let running;
  try {
    running = await startLocalServer({ dir: config.dir, baseEnv: ctx.env.baseEnv, githubToken: ctx.env.githubToken, githubApiUrl: ctx.env.githubApiUrl, host, port, concurrency, buildTimeoutMs, buildDir, domains });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AnchorError({ code: 'PORT_IN_USE', kind: 'conflict', message: `Port ${port} on ${host} is already in use (is another anchor server running?).`, hint: 'Stop the other process, or pass --port <another port>.' });
    }
    throw error;
  }
  const projects = await running.ports.projects.list();
  const webhooks = webhookBaseUrl({ ...config, server: { ...config.server, host, port: running.port } });
  ctx.ui.result(
    {
      url: `http://${host}:${running.port}`,
      port: running.port,
      https: { port: running.httpsPort, off: running.httpsOff },
      publicUrl: domains.publicUrl,
      buildDir: running.buildRoot.dir,
      projects: projects.map((p) => ({ name: p.name, url: `http://${p.name}.localhost:${running.port}`, webhook: `${webhooks}/webhook/${p.id}` })),
    },
    () => [
      `${ctx.ui.colors.green('✔')} anchor server is listening on http://${host}:${running.port}${running.httpsPort === null ? '' : ` and HTTPS port ${running.httpsPort}`} (builds: ${concurrency} at a time, ${running.buildRoot.why}). Ctrl-C stops it.`,
      ...projects.map((p) => `  ${p.name.padEnd(16)} http://${p.name}.localhost:${running.port}   webhook: ${webhooks}/webhook/${p.id}`),
    ],
  );
  if (running.httpsOff && options.httpsPort === undefined) ctx.ui.warn(`${running.httpsOff} Custom domains stay on HTTP until then.`);
  if (!domains.publicUrl && (host === '0.0.0.0' || host === '::')) ctx.ui.warn(`Webhook URLs say ${webhooks}, which GitHub cannot reach: pass --public-url <the address GitHub and visitors use>.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.ui.info('Stopping: running builds are stopped and will start again with the next server.');
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
