import type { Context } from '../cli/context.js';
import { PlatformStore, type RemotePlatformConfig } from '../cli/platforms.js';
import { saveToken } from '../cli/remote-credentials.js';
import { isWellFormedToken } from '../core/api/token-format.js';
import { AnchorError } from '../core/errors.js';
import { parseLoginUrl, platformNameFor } from './login-url.js';
import { readTokenFromStdin } from './token-stdin.js';

interface WhoAmI {
  owner: { id: string; name: string };
  scope: string;
  expiresAt: string;
}

export default async function login(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const url = parseLoginUrl(args[0] ?? '');
  const name = options.name === undefined ? platformNameFor(url) : String(options.name);
  PlatformStore.assertName(name);
  const existing = ctx.store.get(name);
  if (existing && existing.backend !== 'remote') {
    throw new AnchorError({ code: 'PLATFORM_EXISTS', kind: 'conflict', message: `"${name}" is a ${existing.backend} platform of this machine; a remote one cannot take its name.`, hint: 'Pick another name with --name.' });
  }
  const token = options.tokenStdin ? await readTokenFromStdin(ctx.io.stdin) : await ctx.prompter.password(`API token for ${url} (from "anchor tokens create" on the platform)`, '--token-stdin and the token on stdin');
  if (!isWellFormedToken(token)) {
    throw new AnchorError({ code: 'TOKEN_MALFORMED', kind: 'usage', message: 'That is not an anchor API token (anc_ and 46 letters and digits).', hint: 'Create one where the platform runs: anchor tokens create --name laptop --scope write' });
  }
  // Checked before anything is stored: a token the platform refuses is never kept.
  const who = await (await ctx.remoteApi(url, token, `anchor login ${url}`)).call<WhoAmI>('GET', '/api/v1/session');
  const config: RemotePlatformConfig = { name, backend: 'remote', dir: ctx.store.platformDir(name), createdAt: existing?.createdAt ?? new Date().toISOString(), url, owner: who.owner, scope: who.scope };
  ctx.store.save(config);
  saveToken(config.dir, token);
  const current = ctx.store.defaultName();
  const isDefault = current === null || current === name || ctx.store.get(current) === null;
  if (isDefault) ctx.store.setDefault(name);
  ctx.ui.result({ platform: name, url, owner: who.owner, scope: who.scope, expiresAt: who.expiresAt, default: isDefault }, () => [
    `${ctx.ui.colors.green('✔')} Logged in to ${url} as ${who.owner.name} (scope ${who.scope}, token expires ${who.expiresAt.slice(0, 10)}).`,
    isDefault ? `  "${name}" is the default platform now: anchor projects ls` : `  Use it with --platform ${name} (or ANCHOR_PLATFORM=${name}): anchor projects ls --platform ${name}`,
  ]);
}
