import type { Context } from '../cli/context.js';
import { PlatformStore, type LocalPlatformConfig } from '../cli/platforms.js';
import { parsePort, parsePublicUrl } from './flags.js';

export default async function init(ctx: Context, _args: string[], options: Record<string, unknown>): Promise<void> {
  let backend: 'local' | 'aws' | undefined = options.local ? 'local' : options.aws ? 'aws' : undefined;
  backend ??= await ctx.prompter.select<'local' | 'aws'>(
    'Where should this anchor platform run?',
    [
      { value: 'local', label: 'local', hint: 'this machine: SQLite, files, child processes; no cloud account' },
      { value: 'aws', label: 'aws', hint: 'your AWS account: CloudFormation, Lambda, CloudFront' },
    ],
    '--local or --aws',
  );
  // The AWS side (and the SDK) loads only here.
  if (backend === 'aws') return (await import('./init-aws.js')).default(ctx, options);
  const name = ctx.platformName ?? 'local';
  PlatformStore.assertName(name);
  const existing = ctx.store.get(name);
  if (existing) {
    if (ctx.store.defaultName() === null) ctx.store.setDefault(name);
    if (existing.backend === 'local' && options.publicUrl !== undefined) {
      const publicUrl = parsePublicUrl(options.publicUrl);
      ctx.store.save({ ...existing, server: { ...existing.server, publicUrl } });
      ctx.ui.result({ platform: name, backend: 'local', dir: existing.dir, created: false, publicUrl }, () => `Platform "${name}" now uses ${publicUrl} for webhook URLs and custom domains (restart "anchor server" to apply it there).`);
      return;
    }
    ctx.ui.result({ platform: name, backend: existing.backend, dir: existing.dir, created: false, default: ctx.store.defaultName() === name }, () => `Platform "${name}" already exists at ${existing.dir}; nothing changed.`);
    return;
  }
  const config: LocalPlatformConfig = {
    name,
    backend: 'local',
    dir: ctx.store.platformDir(name),
    createdAt: new Date().toISOString(),
    server: { host: String(options.host ?? '127.0.0.1'), port: parsePort(options.port, '--port'), ...(options.publicUrl === undefined ? {} : { publicUrl: parsePublicUrl(options.publicUrl) }) },
  };
  ctx.store.save(config);
  // Opening the platform creates the SQLite file (migrations) and the secret key file.
  await ctx.platform({ name });
  // The first platform becomes the default; another one is used with --platform until chosen.
  const isDefault = ctx.store.defaultName() === null || ctx.store.get(ctx.store.defaultName() ?? '') === null;
  if (isDefault) ctx.store.setDefault(name);
  ctx.ui.result({ platform: name, backend: 'local', dir: config.dir, created: true, default: isDefault }, () => [
    `${ctx.ui.colors.green('✔')} Created local platform "${name}" in ${config.dir}${isDefault ? ' (now the default)' : `; use it with --platform ${name} or ANCHOR_PLATFORM=${name}`}.`,
    '',
    'Next:',
    '  anchor projects add <name> --repo <path | git URL | owner/name>',
    `  anchor server          # webhooks, builds and your sites on http://<name>.localhost:${config.server.port}`,
  ]);
}
